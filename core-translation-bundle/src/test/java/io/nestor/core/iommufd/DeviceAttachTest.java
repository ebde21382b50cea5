package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.ARM;
import static io.nestor.core.iommufd.DeviceFixture.LEGACY;
import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static io.nestor.core.iommufd.DeviceFixture.NIC2;
import static io.nestor.core.iommufd.DeviceFixture.SMALL;
import static io.nestor.core.iommufd.HwptAllocFlags.PASID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Access;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Attach, replace and detach of RIDs and PASIDs, automatic domains, and DMA through the result. */
class DeviceAttachTest {
    private static final int RID = DeviceInfo.NO_PASID;

    private final DeviceFixture f = new DeviceFixture();
    private final int nic = f.bind(NIC);
    private final int ioas = f.ioas();

    @Test
    void anIoasAttachCreatesSharesAndFreesAnAutomaticHwpt() {
        f.mapRegion(ioas, 0x10_0000L, 0x2000);
        int auto = f.context.devices().attach(nic, RID, ioas);
        HwptPaging h = f.object(auto, ObjectType.HWPT_PAGING, HwptPaging.class);
        assertTrue(h.autoDomain());
        assertEquals(0x3_0000_1010L, f.translate(NIC, RID, 0x10_1010L, Access.READ), "DMA through the new domain");
        int nic2 = f.bind(NIC2);
        assertEquals(auto, f.context.devices().attach(nic2, RID, ioas), "same unit: the automatic HWPT is reused");
        int arm = f.bind(ARM);
        int armAuto = f.context.devices().attach(arm, RID, ioas);
        assertNotEquals(auto, armAuto, "another unit gets its own");
        assertEquals(0x3_0000_0010L, f.translate(ARM, RID, 0x10_0010L, Access.READ));
        f.failsUnchanged(Errno.EBUSY, () -> f.context.destroy(auto));

        f.context.devices().detach(nic, RID);
        assertEquals(-1, f.translate(NIC, RID, 0x10_1010L, Access.READ), "detached: blocked");
        assertEquals(0x3_0000_1010L, f.translate(NIC2, RID, 0x10_1010L, Access.READ));
        f.context.devices().detach(nic2, RID);
        IommuException gone = org.junit.jupiter.api.Assertions.assertThrows(IommuException.class,
                () -> f.context.objects().get(auto, ObjectType.HWPT_PAGING, HwptPaging.class));
        assertEquals(Errno.ENOENT, gone.errno(), "the last device left: the automatic HWPT is gone");
        f.context.devices().detach(arm, RID);
        assertEquals(0, f.tablePages.livePages());
        assertEquals(1, f.context.objects().users(ioas));
    }

    @Test
    void unmapFlushesBeforeTablesAreFreedWithTheDriverOrWithoutIt() {
        f.mapRegion(ioas, 0x10_0000L, 0x2000);
        f.context.devices().attach(nic, RID, ioas);
        assertEquals(0x3_0000_0000L, f.translate(NIC, RID, 0x10_0000L, Access.READ)); // now in the IOTLB
        f.context.ioas().unmap(ioas, 0x10_0000L, 0x2000); // driver flush answers EOPNOTSUPP: core fallback
        assertEquals(-1, f.translate(NIC, RID, 0x10_0000L, Access.READ), "a stale IOTLB entry would still hit");
        f.vtd.flushSupported = true;
        f.mapRegion(ioas, 0x10_0000L, 0x2000);
        assertEquals(0x3_0000_1000L, f.translate(NIC, RID, 0x10_1000L, Access.READ));
        f.vtd.calls.clear();
        f.context.ioas().unmap(ioas, 0x10_0000L, 0x2000);
        assertTrue(f.vtd.calls.get(0).startsWith("flush "), f.vtd.calls.toString());
        assertEquals(-1, f.translate(NIC, RID, 0x10_1000L, Access.READ), "flushed by the driver");
    }

    @Test
    void attachErrorsInOrderChangeNothing() {
        int hwpt = f.pagingHwpt(nic, ioas, 0);
        f.failsUnchanged(Errno.ENOENT, () -> f.context.devices().attach(nic, RID, 999));
        f.failsUnchanged(Errno.ENOENT, () -> f.context.devices().attach(999, RID, hwpt));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().attach(nic, RID, nic));
        int arm = f.bind(ARM);
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().attach(arm, RID, hwpt)); // other unit
        f.context.devices().attach(nic, RID, hwpt);
        f.failsUnchanged(Errno.EBUSY, () -> f.context.devices().attach(nic, RID, hwpt));
        f.failsUnchanged(Errno.EBUSY, () -> f.context.devices().attach(nic, RID, ioas));
        f.failsUnchanged(Errno.EBUSY, () -> f.context.destroy(hwpt));
        f.vtd.failing.put("attach", Errno.ENOSPC);
        int nic2 = f.bind(NIC2);
        f.failsUnchanged(Errno.ENOSPC, () -> f.context.devices().attach(nic2, RID, hwpt));
        f.failsUnchanged(Errno.ENOSPC, () -> f.context.devices().attach(nic2, RID, ioas)); // no auto HWPT left
    }

    @Test
    void replaceMovesTheRidAtomically() {
        f.mapRegion(ioas, 0x10_0000L, 0x1000);
        int auto = f.context.devices().attach(nic, RID, ioas);
        int ioas2 = f.ioas();
        f.context.ioas().map(new IoasMapCommand(DeviceFixture.RW | IoasMapFlags.FIXED_IOVA, ioas2, 0, 0x7000_0000L
                + 0x8000, 0x1000, 0x10_0000L));
        int other = f.pagingHwpt(nic, ioas2, 0);
        int nic2 = f.bind(NIC2);
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().replace(nic2, RID, other)); // not attached
        f.failsUnchanged(Errno.ENOENT, () -> f.context.devices().replace(nic, RID, 12345));
        assertEquals(auto, f.context.devices().replace(nic, RID, auto), "same HWPT: success, nothing done");
        f.vtd.failing.put("attach", Errno.ENOMEM);
        f.failsUnchanged(Errno.ENOMEM, () -> f.context.devices().replace(nic, RID, other));
        f.vtd.failing.clear();
        assertEquals(0x3_0000_0000L, f.translate(NIC, RID, 0x10_0000L, Access.READ));
        assertEquals(other, f.context.devices().replace(nic, RID, other));
        assertEquals(0x3_0000_8000L, f.translate(NIC, RID, 0x10_0000L, Access.READ), "the new IOAS's mapping");
        assertEquals(Errno.ENOENT, org.junit.jupiter.api.Assertions.assertThrows(IommuException.class,
                () -> f.context.objects().get(auto, ObjectType.HWPT_PAGING, HwptPaging.class)).errno(),
                "replaced away from: the automatic HWPT is freed");
        int back = f.context.devices().replace(nic, RID, ioas);
        assertTrue(f.object(back, ObjectType.HWPT_PAGING, HwptPaging.class).autoDomain());
        assertEquals(1, f.context.objects().users(other), "the old HWPT lost its attachment");
    }

    @Test
    void pasidAttachFollowsTheVfioPasidRules() {
        int plain = f.pagingHwpt(nic, ioas, 0);
        int compat = f.pagingHwpt(nic, ioas, PASID);
        int compat2 = f.pagingHwpt(nic, ioas, PASID);
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().attach(nic, 5, ioas)); // an IOAS for a PASID
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().attach(nic, 5, plain)); // not ALLOC_PASID
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().attach(nic, 0, compat)); // PASID 0 is the RID's
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().attach(nic, 1 << 20, compat)); // beyond 20 bits
        int small = f.bind(SMALL);
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().attach(small, 256, compat)); // 8-bit device
        int legacy = f.bind(LEGACY);
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().attach(legacy, 1, compat)); // no PASID
        assertEquals(compat, f.context.devices().attach(small, 255, compat));

        f.context.devices().attach(nic, RID, plain);
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().attach(nic, 5, compat)); // RID not compatible
        f.context.devices().replace(nic, RID, compat2);
        assertEquals(compat, f.context.devices().attach(nic, 5, compat));
        f.failsUnchanged(Errno.EBUSY, () -> f.context.devices().attach(nic, 5, compat2));
        f.failsUnchanged(Errno.EBUSY, () -> f.context.devices().attach(nic, 5, ioas)); // EBUSY before compat
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().replace(nic, RID, plain)); // a PASID is attached
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().replace(nic, 6, compat)); // 6 not attached
        assertEquals(Map.of(RID, compat2, 5, compat), f.object(nic, ObjectType.DEVICE, DeviceObject.class)
                .attachmentIds());

        f.context.devices().detach(nic, 9); // not attached: a no-op
        f.vtd.failOnce.put("attachPasid", Errno.ENOSPC);
        f.vtd.calls.clear();
        f.failsUnchanged(Errno.ENOSPC, () -> f.context.devices().replace(nic, 5, compat2));
        assertEquals(List.of("detach " + NIC + " 5", "attachPasid " + NIC + " 5 "
                + tag(compat2), "attachPasid " + NIC + " 5 " + tag(compat)), f.vtd.calls,
                "the failed replace put the old domain back");
        assertEquals(compat2, f.context.devices().replace(nic, 5, compat2));
        assertSame(f.object(compat2, ObjectType.HWPT_PAGING, HwptPaging.class),
                f.object(nic, ObjectType.DEVICE, DeviceObject.class).attached(5));
        f.context.devices().detach(nic, 5);
        assertNull(f.object(nic, ObjectType.DEVICE, DeviceObject.class).attached(5));
        assertEquals(2, f.context.objects().users(compat2), "the RID's attachment only");
    }

    @Test
    void aPasidAttachmentTranslatesItsOwnRequests() {
        f.mapRegion(ioas, 0x10_0000L, 0x1000);
        int compat = f.pagingHwpt(nic, ioas, PASID);
        f.context.devices().attach(nic, 7, compat);
        assertEquals(0x3_0000_0004L, f.translate(NIC, 7, 0x10_0004L, Access.READ));
        assertEquals(-1, f.translate(NIC, RID, 0x10_0004L, Access.READ), "the RID is still blocked");
    }

    @Test
    void unbindingTheDeviceDetachesPasidsThenTheRid() {
        int compat = f.pagingHwpt(nic, ioas, PASID);
        f.context.devices().attach(nic, RID, compat);
        f.context.devices().attach(nic, 3, compat);
        f.context.devices().attach(nic, 9, compat);
        assertEquals(5, f.context.objects().users(nic), "table, binding and three attachments");
        f.vtd.calls.clear();
        f.context.devices().unbind(nic);
        assertEquals(List.of("detach " + NIC + " 3", "detach " + NIC + " 9", "detach " + NIC + " -1"), f.vtd.calls);
        assertEquals(1, f.context.objects().users(compat));
        assertNull(f.bindings.owner(f.device(NIC)));
    }

    private int tag(int hwptId) {
        return f.object(hwptId, ObjectType.HWPT_PAGING, HwptPaging.class).descriptor().tag();
    }
}
