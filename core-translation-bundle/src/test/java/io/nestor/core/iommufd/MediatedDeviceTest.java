package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static io.nestor.core.iommufd.HwptAllocFlags.FAULT_ID_VALID;
import static io.nestor.core.iommufd.HwptAllocFlags.PASID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.PageRequest;
import io.nestor.core.dma.DeviceDma;
import io.nestor.core.fault.FaultEvent;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.session.RegionTable;
import io.nestor.core.translate.TranslationResult;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * IOMMU-backed mediated devices in the object model: the two mediated devices of the default
 * topology (carved out of {@link DeviceFixture#NIC} with default PASIDs 0x100 and 0x101) attach as
 * their parent's PASIDs, exclude their parent's binding, and get their page requests and faults
 * in their own name.
 */
class MediatedDeviceTest {
    static final String MDEV1 = "5b0c6f1e-0001-4c5e-9a6d-000000000001";
    static final String MDEV2 = "5b0c6f1e-0001-4c5e-9a6d-000000000002";
    private static final int RID = DeviceInfo.NO_PASID;
    private static final int PASID1 = 0x100;
    private static final int PASID2 = 0x101;

    private final DeviceFixture f = new DeviceFixture();
    private final int ioas = f.ioas();

    @Test
    void theTopologyDescribesThemAndTheirDefaultPasidsAreTakenFromTheSystemWideSpace() {
        DeviceInfo mdev = f.device(MDEV1);
        DeviceInfo parent = f.device(NIC);
        assertEquals(parent.unit(), mdev.unit());
        assertEquals(parent.sourceId(), mdev.sourceId(), "its requests are its parent's on the bus");
        assertEquals(0, mdev.pasidBits(), "no PASID capability of its own");
        assertSame(parent, f.registry.requester(mdev));
        assertEquals(PASID2, f.registry.requesterPasid(f.device(MDEV2), RID));
        assertEquals(7, f.registry.requesterPasid(parent, 7), "a physical device's PASIDs are its own");
        assertEquals(DriverRegistry.MEDIATED_PASID_SET, f.registry.ioasids().ownerTag(PASID1).orElseThrow());
        assertEquals(DriverRegistry.MEDIATED_PASID_SET, f.registry.ioasids().ownerTag(PASID2).orElseThrow());
        var set = f.registry.ioasids().openSet("client", 4);
        IommuException taken = assertThrows(IommuException.class, () -> set.allocate(PASID1, PASID2));
        assertEquals(Errno.ENOSPC, taken.errno(), "no PASID request is handed a default PASID");
        assertEquals(PASID2 + 1, set.allocate(PASID1, PASID2 + 1));
    }

    @Test
    void aDefaultPasidBeyondThePlatformsPasidSpaceIsRefusedWhenTheTopologyIsInstalled() throws Exception {
        // the space is as wide as the narrowest PASID-capable unit: 8 bits here, so PASID 0x100 is outside it
        var t = io.nestor.core.topology.TopologyFile.parse(new java.io.StringReader("""
                [unit a]
                kind = intel-vtd
                pasid-bits = 20
                [unit b]
                kind = arm-smmuv3
                pasid-bits = 8
                [device 0000:00:02.0]
                unit = a
                pasid-bits = 20
                [device m]
                parent = 0000:00:02.0
                default-pasid = 0x100
                """), "narrow.ini");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DriverRegistry(t, new io.nestor.core.memory.SparsePhysicalMemory(48)));
        assertTrue(e.getMessage().contains("default PASID 256 is beyond the platform's PASID space (1..255)"),
                e.getMessage());
    }

    @Test
    void attachingTheRidToAnIoasAttachesTheParentsDefaultPasidWithAPasidCompatibleAutoDomain() {
        int mdev = f.bind(MDEV1);
        f.mapRegion(ioas, 0x10_0000L, 0x2000);
        int auto = f.context.devices().attach(mdev, RID, ioas);
        HwptPaging h = f.object(auto, ObjectType.HWPT_PAGING, HwptPaging.class);
        assertTrue(h.autoDomain() && h.pasidCompat(), "an auto domain an mdev can use is PASID-compatible");
        assertTrue(f.vtd.calls.contains("allocPaging " + PASID), f.vtd.calls.toString());
        assertTrue(f.vtd.calls.contains("attachPasid " + NIC + " " + PASID1 + " " + h.descriptor().tag()),
                f.vtd.calls.toString());
        assertEquals(0x3_0000_1010L, f.translate(NIC, PASID1, 0x10_1010L, Access.READ), "DMA through PASID 0x100");
        assertEquals(-1, f.translate(NIC, RID, 0x10_1010L, Access.READ), "the parent's RID is not attached");
        assertEquals(-1, f.translate(NIC, PASID2, 0x10_1010L, Access.READ), "nor the sibling's PASID");
        assertEquals(java.util.Map.of(RID, auto),
                f.object(mdev, ObjectType.DEVICE, DeviceObject.class).attachmentIds(), "its own view: the RID");

        f.vtd.calls.clear();
        f.context.devices().detach(mdev, RID);
        assertEquals(List.of("detach " + NIC + " " + PASID1), f.vtd.calls.subList(0, 1));
        assertEquals(-1, f.translate(NIC, PASID1, 0x10_1010L, Access.READ));
        assertThrows(IommuException.class, () -> f.context.objects().get(auto, ObjectType.HWPT_PAGING,
                HwptPaging.class), "the auto domain left with its last device");
    }

    @Test
    void anHwptWithoutAllocPasidIsRefusedAndAReplaceMovesTheDefaultPasid() {
        int mdev = f.bind(MDEV1);
        int plain = f.pagingHwpt(mdev, ioas, 0);
        IommuException e = f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().attach(mdev, RID, plain));
        assertTrue(e.getMessage().contains("IOMMU_HWPT_ALLOC_PASID"), e.getMessage());
        int first = f.pagingHwpt(mdev, ioas, PASID);
        int second = f.pagingHwpt(mdev, ioas, PASID);
        f.context.devices().attach(mdev, RID, first);
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().replace(mdev, RID, plain));
        f.vtd.calls.clear();
        assertEquals(second, f.context.devices().replace(mdev, RID, second));
        int secondTag = f.object(second, ObjectType.HWPT_PAGING, HwptPaging.class).descriptor().tag();
        assertEquals(List.of("detach " + NIC + " " + PASID1, "attachPasid " + NIC + " " + PASID1 + " " + secondTag),
                f.vtd.calls, "a PASID has no in-place switch");
        f.vtd.failOnce.put("attachPasid", Errno.ENOMEM);
        f.failsUnchanged(Errno.ENOMEM, () -> f.context.devices().replace(mdev, RID, first));
        assertEquals(secondTag, f.vtd.attached.values().iterator().next().tag(), "the old domain is put back");
    }

    @Test
    void aMediatedDeviceHasNoPasidsOfItsOwnToAttachOrDetach() {
        int mdev = f.bind(MDEV1);
        int hwpt = f.pagingHwpt(mdev, ioas, PASID);
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.devices().attach(mdev, 5, hwpt));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.devices().attach(mdev, 5, 999)); // before the lookup
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.devices().detach(mdev, 5));
        HwInfoReply info = f.context.devices().hwInfo(mdev, 0, 0, 0, 0);
        assertEquals(0, info.outMaxPasidLog2());
        assertEquals(0, info.outCapabilities() & (HwInfo.CAP_PCI_PASID_EXEC | HwInfo.CAP_PCI_PASID_PRIV));
    }

    @Test
    void aParentAndItsMediatedDevicesAreNeverOwnedAtOnce() {
        IommufdContext other = f.otherContext();
        int mdev1 = f.bind(MDEV1);
        f.failsUnchanged(Errno.EBUSY, () -> f.bind(NIC));
        f.failsUnchanged(Errno.EBUSY, () -> other.devices().bind(NIC));
        int mdev2 = other.devices().bind(MDEV2); // siblings are independent
        f.context.devices().unbind(mdev1);
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> f.bind(NIC)).errno(), "mdev2 is bound");
        other.devices().unbind(mdev2);
        f.bind(NIC);
        f.failsUnchanged(Errno.EBUSY, () -> other.devices().bind(MDEV1));
    }

    @Test
    void theParentCannotAttachAPasidItsMediatedDevicesHoldAsDefault() {
        int parent = f.bind(NIC);
        int hwpt = f.pagingHwpt(parent, ioas, PASID);
        IommuException e = f.failsUnchanged(Errno.EBUSY, () -> f.context.devices().attach(parent, PASID2, hwpt));
        assertTrue(e.getMessage().contains("default PASID of mediated device " + MDEV2), e.getMessage());
        assertEquals(hwpt, f.context.devices().attach(parent, PASID2 + 1, hwpt), "any other PASID is the parent's");
    }

    @Test
    void twoMediatedDevicesOfOneParentTranslateThroughTheirOwnPasidsInTheirOwnContexts() {
        int mdev1 = f.bind(MDEV1);
        f.mapRegion(ioas, 0x10_0000L, 0x1000);
        f.context.devices().attach(mdev1, RID, ioas);
        RegionTable otherRegions = new RegionTable(4096);
        otherRegions.createRegion(0x7000_0000L, 0x10_0000L, 0x3_4000_0000L, true);
        IommufdContext other = new IommufdContext(ContextOptions.defaults(), otherRegions, f.platform);
        int mdev2 = other.devices().bind(MDEV2);
        int otherIoas = other.ioas().alloc(0);
        other.ioas().map(new IoasMapCommand(DeviceFixture.RW | IoasMapFlags.FIXED_IOVA, otherIoas, 0, 0x7000_0000L,
                0x1000, 0x10_0000L));
        other.devices().attach(mdev2, RID, otherIoas);

        assertEquals(0x3_0000_0040L, f.translate(NIC, PASID1, 0x10_0040L, Access.READ));
        assertEquals(0x3_4000_0040L, f.translate(NIC, PASID2, 0x10_0040L, Access.READ), "the same IOVA, elsewhere");
        other.close();
        assertEquals(-1, f.translate(NIC, PASID2, 0x10_0040L, Access.READ), "closing detached PASID 0x101");
        assertEquals(0x3_0000_0040L, f.translate(NIC, PASID1, 0x10_0040L, Access.READ), "and only it");
        assertEquals(1, f.bindings.boundCount());
    }

    @Test
    void pageRequestsWithTheDefaultPasidReachTheMediatedDevicesFaultQueueWithoutAPasid() {
        IommufdEventRouter router = new IommufdEventRouter(f.platform);
        f.registry.faults().addListener(router);
        try {
            int mdev = f.bind(MDEV1);
            int fault = f.context.eventQueues().faultQueueAlloc(0);
            int hwpt = f.context.hwpts().alloc(new HwptAllocCommand(FAULT_ID_VALID | PASID, mdev, ioas, 0,
                    HwptAllocFlags.DATA_NONE, null, fault));
            f.context.devices().attach(mdev, RID, hwpt);
            DeviceInfo parent = f.device(NIC);
            f.registry.faults().pageRequest(f.unitOf(NIC), parent,
                    new PageRequest(parent.sourceId(), PASID1, 0x4000_0000L, Access.READ, 9, true, false, 0));
            ByteBuffer rec = ByteBuffer.wrap(f.context.eventQueues().readFault(fault, 40)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(40, rec.remaining());
            assertEquals(2, rec.getInt(0), "flags: LAST_PAGE, and no PASID_VALID: the mdev sent no PASID");
            assertEquals(mdev, rec.getInt(4), "dev_id: the mediated device's");
            assertEquals(9, rec.getInt(12), "grpid");
            byte[] success = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(rec.getInt(36)).putInt(0)
                    .array();
            f.context.eventQueues().faultRespond(fault, success);
            assertEquals(List.of(NIC + " " + PASID1 + " 9 false SUCCESS"), f.vtd.responses,
                    "the response goes to the parent with the default PASID");
        } finally {
            f.registry.faults().removeListener(router);
        }
    }

    @Test
    void aFaultOfTheParentsDefaultPasidIsReportedAsTheMediatedDevices() {
        int mdev = f.bind(MDEV1);
        f.context.devices().attach(mdev, RID, ioas);
        DeviceDma dma = new DeviceDma(f.registry);
        try {
            FaultEvent e = dma.translate(f.device(NIC), PASID1, 0x50_0000L, Access.WRITE, new TranslationResult());
            assertEquals(MDEV1, e.device().name());
            assertEquals(RID, e.pasid(), "the mediated device's own view: no PASID");
            FaultEvent parents = dma.translate(f.device(NIC), 7, 0x50_0000L, Access.WRITE, new TranslationResult());
            assertEquals(NIC, parents.device().name(), "another PASID of the parent stays the parent's");
            assertEquals(7, parents.pasid());
            assertFalse(f.registry.faults().recent("dmar0", 2).isEmpty());
        } finally {
            dma.close();
        }
    }

    @Test
    void aDriverRefusingThePasidAttachLeavesNothingBehind() {
        int mdev = f.bind(MDEV1);
        f.mapRegion(ioas, 0x10_0000L, 0x1000);
        f.vtd.failOnce.put("attachPasid", Errno.EOPNOTSUPP); // SMMUv3's answer: no PASID attach in its SPI
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.devices().attach(mdev, RID, ioas));
        long pages = f.tablePages.livePages();
        f.context.devices().attach(mdev, RID, ioas);
        f.context.close();
        assertEquals(0, f.tablePages.livePages(), "closing freed the auto domain's tables (" + pages + " before)");
        assertEquals(0, f.bindings.boundCount());
        assertTrue(f.vtd.attached.isEmpty(), f.vtd.attached.toString());
    }
}
