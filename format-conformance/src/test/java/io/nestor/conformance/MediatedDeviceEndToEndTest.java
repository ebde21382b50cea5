package io.nestor.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.dma.DeviceFault;
import io.nestor.api.dma.DmaFaultException;
import io.nestor.api.dma.DmaRequest;
import io.nestor.api.dma.DmaResult;
import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.event.EventSubscription;
import io.nestor.api.event.SessionEventListener;
import io.nestor.api.iommufd.IoasMap;
import io.nestor.api.iommufd.IoasMapFlags;
import io.nestor.api.session.MemoryRegionInfo;
import io.nestor.api.session.Session;
import io.nestor.api.translation.Access;
import io.nestor.api.vfio.VfioDeviceEntry;
import io.nestor.api.vfio.VfioDmaMap;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.service.SessionManager;
import io.nestor.core.service.SessionSettings;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.unit.DriverBinding;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.driver.vtd.VtdDriver;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IOMMU-backed mediated devices end to end with the real VT-d driver: sessions bind the two
 * mediated devices of the default topology's accelerator ({@code 0000:00:02.0}, default PASIDs
 * 0x100 and 0x101), attach them, and their DMA goes through the scalable-mode PASID entries the
 * driver wrote for the parent — each session's into its own memory.
 */
class MediatedDeviceEndToEndTest {
    private static final String PARENT = "0000:00:02.0";
    private static final String MDEV1 = "5b0c6f1e-0001-4c5e-9a6d-000000000001";
    private static final String MDEV2 = "5b0c6f1e-0001-4c5e-9a6d-000000000002";
    private static final int RW = IoasMapFlags.READABLE | IoasMapFlags.WRITEABLE;
    private static final long IOVA = 0x10_0000L;

    @TempDir
    Path regionDir;

    private final SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
    private final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    private SessionManager manager;

    MediatedDeviceEndToEndTest() {
        VtdDriver vtd = new VtdDriver();
        Smmuv3Driver smmu = new Smmuv3Driver();
        registry.addDriver(new DriverBinding(vtd, IommuDriver.KIND_INTEL_VTD, "vtd", 1, "1.0.0", 0, 1));
        registry.addDriver(new DriverBinding(smmu, IommuDriver.KIND_ARM_SMMUV3, "smmu", 2, "1.0.0", 0, 2));
    }

    private SessionManager manager() {
        if (manager == null) {
            manager = SessionManager.over(registry, SessionSettings.defaults(regionDir));
        }
        return manager;
    }

    @AfterEach
    void close() {
        if (manager != null) {
            manager.close();
        }
    }

    /** A session with a 64 KiB region mapped at {@link #IOVA} of a new IOAS, {@code device} bound and attached. */
    private record Client(Session session, MemoryRegionInfo region, int iommufd, int devId) {
    }

    private Client client(String name, String device) {
        Session s = manager().open(name, 0);
        MemoryRegionInfo r = s.memory().create(0x1_0000, "");
        int fd = s.iommufd().open();
        int ioas = s.iommufd().ioasAlloc(fd, 0);
        s.iommufd().ioasMap(fd, new IoasMap(RW | IoasMapFlags.FIXED_IOVA, ioas, r.userVa(), r.size(), IOVA));
        int devId = s.vfioDevices().bindIommufd(device, 0, fd);
        s.vfioDevices().attachIommufdPt(device, 0, ioas, 0);
        return new Client(s, r, fd, devId);
    }

    private long translate(int pasid, long iova) {
        DeviceInfo parent = registry.topology().device(PARENT).orElseThrow();
        TranslationResult r = new TranslationResult();
        int unit = registry.unitOf(parent).index();
        return registry.engine().translate(unit, parent.sourceId(), pasid, iova, Access.READ, r) ? r.outputAddress()
                : -1;
    }

    @Test
    void eachMediatedDevicesDmaGoesThroughItsOwnPasidOfTheParentIntoItsOwnSessionsMemory() {
        Client a = client("a", MDEV1);
        Client b = client("b", MDEV2);
        byte[] hello = {'h', 'e', 'l', 'l', 'o'};
        a.session().dma().write(MDEV1, DmaRequest.NO_PASID, IOVA + 0x123, hello);
        assertArrayEquals(hello, a.session().memory().read(a.region().userVa() + 0x123, hello.length));
        assertArrayEquals(new byte[hello.length], b.session().dma().read(MDEV2, DmaRequest.NO_PASID, IOVA + 0x123,
                hello.length), "the same IOVA of the sibling is the other session's memory");

        // what the hardware sees: the parent's requests with PASID 0x100 / 0x101, through the real
        // driver's PASID entries; the parent's own requests without PASID are blocked
        assertEquals(a.region().hostPhysicalBase() + 0x123, translate(0x100, IOVA + 0x123));
        assertEquals(b.region().hostPhysicalBase() + 0x123, translate(0x101, IOVA + 0x123));
        assertEquals(-1, translate(DeviceInfo.NO_PASID, IOVA + 0x123));

        a.session().vfioDevices().detachIommufdPt(MDEV1, 0, 0);
        assertEquals(-1, translate(0x100, IOVA + 0x123), "detached: the PASID entry is gone");
        assertEquals(b.region().hostPhysicalBase(), translate(0x101, IOVA));
    }

    @Test
    void theVfioViewShowsTheParentAndThePasidSpaceKeepsTheDefaultPasids() {
        Session s = manager().open("viewer", 0);
        List<VfioDeviceEntry> list = s.vfioDevices().list();
        VfioDeviceEntry m = list.stream().filter(e -> e.name().equals(MDEV2)).findFirst().orElseThrow();
        assertEquals(PARENT, m.parent());
        assertEquals(0x101, m.defaultPasid());
        assertTrue(list.stream().filter(e -> e.name().equals(PARENT)).allMatch(e -> !e.mediated()));
        assertTrue(registry.ioasids().isAllocated(0x100) && registry.ioasids().isAllocated(0x101));
    }

    @Test
    void aMediatedDeviceHasNoPasidOfItsOwnAndItsParentCannotBeTakenMeanwhile() {
        Client a = client("a", MDEV1);
        IommuException e = assertThrows(IommuException.class, () -> a.session().dma().translate(
                List.of(new DmaRequest(MDEV1, 5, IOVA, Access.READ))));
        assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
        e = assertThrows(IommuException.class, () -> a.session().vfioDevices().attachIommufdPt(MDEV1, 1, 1, 5));
        assertEquals(Errno.EOPNOTSUPP, e.errno(), e.getMessage());
        Session other = manager().open("other", 0);
        int fd = other.iommufd().open();
        e = assertThrows(IommuException.class, () -> other.vfioDevices().bindIommufd(PARENT, 0, fd));
        assertEquals(Errno.EBUSY, e.errno(), e.getMessage());
        a.session().close();
        assertTrue(other.vfioDevices().bindIommufd(PARENT, 0, fd) > 0, "released with the session");
        // the parent's own request with a default PASID is answered as the parent's request
        DeviceFault own = other.dma().translate(List.of(new DmaRequest(PARENT, 0x100, IOVA, Access.READ))).get(0)
                .fault();
        assertEquals(PARENT, own.device());
        assertEquals(0x100, own.pasid());
    }

    @Test
    void aFaultOfAMediatedDeviceReachesOnlyItsOwnerInItsOwnName() throws Exception {
        Client a = client("a", MDEV1);
        Client b = client("b", MDEV2);
        BlockingQueue<DeviceFault> toA = new LinkedBlockingQueue<>();
        BlockingQueue<DeviceFault> toB = new LinkedBlockingQueue<>();
        try (EventSubscription sa = a.session().events().subscribe(listener(toA));
                EventSubscription sb = b.session().events().subscribe(listener(toB))) {
            List<DmaResult> results = a.session().dma().translate(List.of(
                    new DmaRequest(MDEV1, DmaRequest.NO_PASID, IOVA, Access.READ),
                    new DmaRequest(MDEV1, DmaRequest.NO_PASID, IOVA + 0x10_0000L, Access.WRITE)));
            assertEquals(a.region().hostPhysicalBase(), results.get(0).outputAddress());
            DeviceFault f = results.get(1).fault();
            assertNotNull(f);
            assertEquals(MDEV1, f.device());
            assertEquals(DmaRequest.NO_PASID, f.pasid(), "the mediated device sent no PASID");
            assertEquals(a.devId(), f.devId());
            assertTrue(f.record().length > 0, "the VT-d fault log recorded the parent's request");
            DeviceFault event = toA.poll(30, TimeUnit.SECONDS);
            assertNotNull(event);
            assertEquals(MDEV1, event.device());
            DmaFaultException thrown = assertThrows(DmaFaultException.class,
                    () -> b.session().dma().read(MDEV2, DmaRequest.NO_PASID, IOVA + 0x10_0000L, 4));
            assertEquals(MDEV2, thrown.fault().device());
            assertEquals(MDEV2, toB.poll(30, TimeUnit.SECONDS).device());
            assertNull(toB.poll(200, TimeUnit.MILLISECONDS), "b never hears of a's fault");
            assertFalse(toA.stream().anyMatch(x -> x.device().equals(MDEV2)), "nor a of b's");
        }
    }

    @Test
    void aTypeOneContainerPutsAMediatedDeviceInAPasidDomainAndNestingRefusesIt() {
        Session s = manager().open("vmm", 0);
        List<VfioDeviceEntry> list = s.vfioDevices().list();
        int group1 = list.stream().filter(e -> e.name().equals(MDEV1)).findFirst().orElseThrow().group();
        int group2 = list.stream().filter(e -> e.name().equals(MDEV2)).findFirst().orElseThrow().group();
        int parentGroup = list.stream().filter(e -> e.name().equals("0000:00:03.0")).findFirst().orElseThrow().group();
        MemoryRegionInfo r = s.memory().create(0x1_0000, "");
        int c = s.vfio().open();
        s.vfio().setContainer(c, group1);
        s.vfio().setContainer(c, parentGroup); // a physical device of the same unit, beside it
        s.vfio().setIommu(c, 3); // TYPE1v2
        s.vfio().mapDma(c, new VfioDmaMap(VfioDmaMap.FLAG_READ | VfioDmaMap.FLAG_WRITE, r.userVa(), IOVA, r.size()));
        byte[] data = {9, 8, 7};
        s.dma().write(MDEV1, DmaRequest.NO_PASID, IOVA + 0x40, data);
        assertArrayEquals(data, s.dma().read("0000:00:03.0", DmaRequest.NO_PASID, IOVA + 0x40, 3),
                "both domains mirror the container's mappings");
        assertEquals(r.hostPhysicalBase() + 0x40, translate(0x100, IOVA + 0x40));

        int nesting = s.vfio().open();
        s.vfio().setContainer(nesting, group2);
        IommuException e = assertThrows(IommuException.class, () -> s.vfio().setIommu(nesting, 6));
        assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
        assertEquals(-1, translate(0x101, IOVA), "nothing attached");
    }

    private static SessionEventListener listener(BlockingQueue<DeviceFault> into) {
        return new SessionEventListener() {
            @Override
            public void deviceFault(DeviceFault fault) {
                into.add(fault);
            }
        };
    }
}
