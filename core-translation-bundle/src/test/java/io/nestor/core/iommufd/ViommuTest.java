package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.ARM;
import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static io.nestor.core.iommufd.HwptAllocFlags.NEST_PARENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import org.junit.jupiter.api.Test;

/** VIOMMU_ALLOC, VDEVICE_ALLOC and the vIOMMU-based nested HWPT's attach rule. */
class ViommuTest {
    private static final int SMMUV3 = 1;
    private static final byte[] STE = {1, 0, 0, 0, 0, 0, 0, 0};

    private final DeviceFixture f = new DeviceFixture();
    private final int arm = f.bind(ARM);
    private final int ioas = f.ioas();
    private final int parent = f.pagingHwpt(arm, ioas, NEST_PARENT);

    @Test
    void viommuAllocChecksInOrder() {
        int plain = f.pagingHwpt(arm, ioas, 0);
        int nic = f.bind(NIC);
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.viommus().allocViommu(1, SMMUV3, arm, parent, null));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.viommus().allocViommu(0, 0, arm, parent, null));
        f.failsUnchanged(Errno.ENOENT, () -> f.context.viommus().allocViommu(0, SMMUV3, 999, parent, null));
        f.failsUnchanged(Errno.ENOENT, () -> f.context.viommus().allocViommu(0, SMMUV3, arm, 0, null));
        f.failsUnchanged(Errno.ENOENT, () -> f.context.viommus().allocViommu(0, SMMUV3, arm, ioas, null));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.viommus().allocViommu(0, SMMUV3, arm, plain, null));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.viommus().allocViommu(0, SMMUV3, nic, parent, null));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.viommus().allocViommu(0, 7, arm, parent, null));
        f.smmu.failing.put("allocViommu", Errno.ENOSPC);
        f.failsUnchanged(Errno.ENOSPC, () -> f.context.viommus().allocViommu(0, SMMUV3, arm, parent, null));
    }

    @Test
    void vdevicesAreOnePerDeviceAndVirtIdsUniquePerViommu() {
        int viommu = f.context.viommus().allocViommu(0, SMMUV3, arm, parent, null);
        f.failsUnchanged(Errno.EBUSY, () -> f.context.destroy(parent));
        int arm2 = f.bind("0001:00:02.0");
        int nic = f.bind(NIC);
        f.failsUnchanged(Errno.ENOENT, () -> f.context.viommus().allocVdevice(999, arm, 1));
        f.failsUnchanged(Errno.ENOENT, () -> f.context.viommus().allocVdevice(viommu, 999, 1));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.viommus().allocVdevice(viommu, nic, 1));
        int vdev = f.context.viommus().allocVdevice(viommu, arm, 0x10);
        f.failsUnchanged(Errno.EEXIST, () -> f.context.viommus().allocVdevice(viommu, arm, 0x11));
        f.failsUnchanged(Errno.EEXIST, () -> f.context.viommus().allocVdevice(viommu, arm2, 0x10));
        f.failsUnchanged(Errno.EBUSY, () -> f.context.destroy(arm));
        f.failsUnchanged(Errno.EBUSY, () -> f.context.destroy(viommu));
        f.context.destroy(vdev);
        assertEquals(vdev, f.context.viommus().allocVdevice(viommu, arm2, 0x10), "virt_id free again");
    }

    @Test
    void aViommuNestedHwptNeedsTheDevicesVdevice() {
        int viommu = f.context.viommus().allocViommu(0, SMMUV3, arm, parent, null);
        int nested = f.context.hwpts().alloc(HwptAllocCommand.nested(0, arm, viommu, 2, STE));
        f.failsUnchanged(Errno.EBUSY, () -> f.context.destroy(viommu));
        f.failsUnchanged(Errno.ENOENT, () -> f.context.devices().attach(arm, DeviceInfo.NO_PASID, nested));
        f.context.viommus().allocVdevice(viommu, arm, 0x10);
        assertEquals(nested, f.context.devices().attach(arm, DeviceInfo.NO_PASID, nested));
        int vmid = f.object(viommu, ObjectType.VIOMMU, Viommu.class).descriptor().tag();
        f.mapRegion(ioas, 0x10_0000L, 0x1000);
        f.smmu.calls.clear();
        f.context.ioas().unmap(ioas, 0x10_0000L, 0x1000);
        int parentTag = f.object(parent, ObjectType.HWPT_PAGING, HwptPaging.class).descriptor().tag();
        assertTrue(f.smmu.calls.contains("flush " + parentTag + " 100000+1000 [" + vmid + "]"),
                "the vIOMMU's VMID rides along the parent's flush: " + f.smmu.calls);
    }

    @Test
    void unbindingTheDeviceTombstonesItsVdevice() {
        int viommu = f.context.viommus().allocViommu(0, SMMUV3, arm, parent, null);
        int vdev = f.context.viommus().allocVdevice(viommu, arm, 0x10);
        int nested = f.context.hwpts().alloc(HwptAllocCommand.nested(0, arm, viommu, 2, STE));
        f.context.devices().attach(arm, DeviceInfo.NO_PASID, nested);
        f.context.devices().unbind(arm);
        f.failsUnchanged(Errno.ENOENT, () -> f.context.destroy(vdev)); // gone with its device
        assertEquals(1, f.context.objects().users(nested), "detached on unbind");
        int arm2 = f.bind("0001:00:02.0");
        int again = f.context.viommus().allocVdevice(viommu, arm2, 0x10);
        assertTrue(again != vdev, "a tombstoned id is never handed out again");
        assertEquals(3, f.context.objects().users(viommu), "the table, the nested HWPT and the new vDEVICE only");
    }
}
