package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.ARM;
import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static io.nestor.core.iommufd.DeviceFixture.NIC2;
import static io.nestor.core.iommufd.HwptAllocFlags.NEST_PARENT;
import static io.nestor.core.iommufd.HwptAllocFlags.PASID;
import static io.nestor.core.iommufd.HwptTestDriver.NESTED_DATA_TYPE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import org.junit.jupiter.api.Test;

/** Closing a context with devices attached in every way gives back every page, tag and claim. */
class DeviceContextCloseTest {

    @Test
    void closeFreesEverythingWithDevicesAttached() {
        DeviceFixture f = new DeviceFixture();
        DeviceFixture.Snapshot empty = f.snapshot();
        long structure = f.registry.structurePages().livePages();
        int ioas = f.ioas();
        f.mapRegion(ioas, 0x10_0000L, 0x4000);
        int nic = f.bind(NIC);
        int nic2 = f.bind(NIC2);
        int arm = f.bind(ARM);
        int parent = f.pagingHwpt(nic, ioas, NEST_PARENT | PASID);
        int nested = f.context.hwpts().alloc(HwptAllocCommand.nested(PASID, nic, parent, NESTED_DATA_TYPE,
                new byte[8]));
        f.context.devices().attach(nic, DeviceInfo.NO_PASID, parent);
        f.context.devices().attach(nic, 4, nested);
        f.context.devices().attach(nic2, DeviceInfo.NO_PASID, ioas); // automatic
        int armParent = f.pagingHwpt(arm, ioas, NEST_PARENT);
        int viommu = f.context.viommus().allocViommu(0, 1, arm, armParent, null);
        f.context.viommus().allocVdevice(viommu, arm, 3);
        int onViommu = f.context.hwpts().alloc(HwptAllocCommand.nested(0, arm, viommu, 2, new byte[8]));
        f.context.devices().attach(arm, DeviceInfo.NO_PASID, onViommu);
        f.pagingHwpt(nic, ioas, 0); // unattached
        assertTrue(f.tablePages.livePages() > 0);
        assertTrue(f.registry.structurePages().livePages() > structure);

        f.vtd.calls.clear();
        f.context.close();
        assertEquals(0, f.tablePages.livePages(), "core tables back");
        assertEquals(structure, f.registry.structurePages().livePages(), "driver roots back");
        assertEquals(0, f.registry.runtimeUnit("dmar0").orElseThrow().allocatedIds(HwptTestDriver.TAGS));
        assertEquals(0, f.registry.runtimeUnit("smmu0").orElseThrow().allocatedIds(HwptTestDriver.TAGS));
        assertEquals(0, f.bindings.boundCount(), "every device released");
        assertTrue(f.vtd.attached.isEmpty() && f.smmu.attached.isEmpty(), "nothing left attached");
        assertEquals(0, f.regions.totalPins());
        int pasidDetach = f.vtd.calls.indexOf("detach " + NIC + " 4");
        int ridDetach = f.vtd.calls.indexOf("detach " + NIC + " -1");
        assertTrue(pasidDetach >= 0 && pasidDetach < ridDetach, "PASIDs before the RID: " + f.vtd.calls);
        assertEquals(empty.bound(), f.bindings.boundCount());
    }
}
