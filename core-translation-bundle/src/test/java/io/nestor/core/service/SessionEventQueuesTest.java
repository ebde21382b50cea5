package io.nestor.core.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.event.DevicePageRequest;
import io.nestor.api.event.EventSubscription;
import io.nestor.api.event.SessionEventListener;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.PageRequest;
import io.nestor.core.iommufd.HwptAllocCommand;
import io.nestor.core.iommufd.HwptAllocFlags;
import io.nestor.core.iommufd.HwptTestDriver;
import io.nestor.core.iommufd.IommufdContext;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.unit.DriverBinding;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session's fault queues and VEVENTQs: the API's FAULT_QUEUE_ALLOC / FaultRespond /
 * VEVENTQ_ALLOC over the session's contexts, and their records delivered to the session's
 * subscribers as the kernel's read() returns them — real {@code dev_id}, {@code cookie},
 * {@code fault_id} — including what was queued before anyone subscribed.
 */
class SessionEventQueuesTest {
    private static final String NIC = "0000:00:02.0";
    private static final String ARM = "0001:00:01.0";

    @TempDir
    Path regionDir;

    private final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(),
            new SparsePhysicalMemory(52));
    private final HwptTestDriver vtd = new HwptTestDriver(IommuDriver.KIND_INTEL_VTD);
    private final HwptTestDriver smmu = new HwptTestDriver(IommuDriver.KIND_ARM_SMMUV3);
    private SessionManager manager;

    /** What a subscriber saw: "pgfault iommufd faultId" / "vevent iommufd veventqId" plus the bytes. */
    private record Seen(String kind, int iommufd, int queue, byte[] bytes) {
    }

    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final List<DevicePageRequest> placeholders = new CopyOnWriteArrayList<>();
    private final SessionEventListener listener = new SessionEventListener() {
        @Override
        public void pageFault(int iommufd, int faultId, byte[] pgfault) {
            seen.add(new Seen("pgfault", iommufd, faultId, pgfault));
        }

        @Override
        public void vevent(int iommufd, int veventqId, byte[] vevent) {
            seen.add(new Seen("vevent", iommufd, veventqId, vevent));
        }

        @Override
        public void pageRequest(DevicePageRequest request) {
            placeholders.add(request);
        }
    };

    private CoreSession open() {
        registry.addDriver(new DriverBinding(vtd, vtd.kind(), "test.vtd", 1, "1.0.0", 0, 1));
        registry.addDriver(new DriverBinding(smmu, smmu.kind(), "test.smmu", 2, "1.0.0", 0, 2));
        manager = SessionManager.over(registry, SessionSettings.defaults(regionDir));
        return (CoreSession) manager.open("vmm", 0);
    }

    @AfterEach
    void close() {
        if (manager != null) {
            manager.close();
        }
    }

    private DeviceInfo device(String name) {
        return registry.devices().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow();
    }

    private void pageRequest(int grpid) {
        DeviceInfo d = device(NIC);
        registry.faults().pageRequest(registry.runtimeUnit(d.unit()).orElseThrow(), d,
                new PageRequest(d.sourceId(), -1, 0x5000, Access.READ, grpid, true, false, 0));
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A context with NIC bound and attached to a fault-enabled paging HWPT; returns {iommufd, dev, fault}. */
    private int[] faultSetup(CoreSession s) {
        int h = s.iommufd().open();
        IommufdContext c = s.iommufd().context(h);
        int dev = c.devices().bind(NIC);
        int ioas = c.ioas().alloc(0);
        int fault = s.iommufd().faultQueueAlloc(h, 0);
        int hwpt = c.hwpts().alloc(new HwptAllocCommand(HwptAllocFlags.FAULT_ID_VALID, dev, ioas, 0,
                HwptAllocFlags.DATA_NONE, null, fault));
        c.devices().attach(dev, DeviceInfo.NO_PASID, hwpt);
        return new int[] {h, dev, fault};
    }

    @Test
    void theApiChecksAsTheIoctlsDo() {
        CoreSession s = open();
        int h = s.iommufd().open();
        IommuException e = assertThrows(IommuException.class, () -> s.iommufd().faultQueueAlloc(h, 1));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertEquals(Errno.EBADF, assertThrows(IommuException.class, () -> s.iommufd().faultQueueAlloc(h + 1, 0))
                .errno());
        int fault = s.iommufd().faultQueueAlloc(h, 0);
        assertEquals(Errno.ESPIPE, assertThrows(IommuException.class,
                () -> s.iommufd().faultRespond(h, fault, new byte[5])).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> s.iommufd().faultRespond(h, fault, new byte[8])).errno(), "cookie 0 was never delivered");
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class,
                () -> s.iommufd().faultRespond(h, fault + 1, new byte[8])).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> s.iommufd().veventqAlloc(h, 0, 99, 1, 0)).errno());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class,
                () -> s.iommufd().veventqAlloc(h, 0, fault, 1, 4)).errno());
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class,
                () -> s.iommufd().veventqAlloc(h, 0, fault, 0, 4)).errno());
    }

    @Test
    void pageRequestsReachSubscribersWithTheRealDevIdAndCookieAndTheResponseGoesBack() {
        CoreSession s = open();
        int[] ids = faultSetup(s);
        EventSubscription sub = s.events().subscribe(listener);
        pageRequest(3);
        assertEquals(1, seen.size());
        Seen e = seen.get(0);
        assertEquals("pgfault", e.kind());
        assertEquals(ids[0], e.iommufd());
        assertEquals(ids[2], e.queue());
        assertEquals(40, e.bytes().length);
        assertEquals(ids[1], le(e.bytes()).getInt(4), "dev_id");
        assertEquals(3, le(e.bytes()).getInt(12), "grpid");
        int cookie = le(e.bytes()).getInt(36);
        assertEquals(1, cookie);
        assertTrue(placeholders.isEmpty(), "no placeholder record for a bound device");
        byte[] response = le(new byte[8]).putInt(cookie).putInt(0).array();
        assertEquals(8, s.iommufd().faultRespond(ids[0], ids[2], response));
        assertEquals(List.of(NIC + " -1 3 false SUCCESS"), vtd.responses);
        sub.close();
    }

    @Test
    void whatWasQueuedBeforeTheSubscriptionIsReadWhenItStarts() {
        CoreSession s = open();
        int[] ids = faultSetup(s);
        pageRequest(1);
        pageRequest(2);
        assertTrue(seen.isEmpty());
        s.events().subscribe(listener);
        assertEquals(2, seen.size());
        assertEquals(1, le(seen.get(0).bytes()).getInt(36));
        assertEquals(2, le(seen.get(1).bytes()).getInt(36));
        assertEquals(ids[2], seen.get(1).queue());
    }

    @Test
    void closingTheSessionAnswersTheOutstandingGroupsInvalid() {
        CoreSession s = open();
        faultSetup(s);
        s.events().subscribe(listener);
        pageRequest(4);
        s.close();
        assertEquals(List.of(NIC + " -1 4 false INVALID"), vtd.responses);
    }

    @Test
    void vEventsReachSubscribers() {
        CoreSession s = open();
        int h = s.iommufd().open();
        IommufdContext c = s.iommufd().context(h);
        int arm = c.devices().bind(ARM);
        int ioas = c.ioas().alloc(0);
        int parent = c.hwpts().alloc(HwptAllocCommand.paging(HwptAllocFlags.NEST_PARENT, arm, ioas));
        int viommu = c.viommus().allocViommu(0, 1, arm, parent, null);
        c.viommus().allocVdevice(viommu, arm, 0x33);
        int q = s.iommufd().veventqAlloc(h, 0, viommu, 1, 8);
        int nested = c.hwpts().alloc(HwptAllocCommand.nested(0, arm, viommu, 2, new byte[8]));
        c.devices().attach(arm, DeviceInfo.NO_PASID, nested);
        s.events().subscribe(listener);
        DeviceInfo d = device(ARM);
        registry.faults().fault(registry.runtimeUnit(d.unit()).orElseThrow(), d, -1,
                new Fault(FaultStage.STAGE1, FaultReason.TRANSLATION, 3, Access.READ, 0x7000, 0x7000, false, 0));
        assertEquals(1, seen.size());
        assertEquals("vevent", seen.get(0).kind());
        assertEquals(q, seen.get(0).queue());
        assertEquals(40, seen.get(0).bytes().length);
        assertEquals(0x33, le(seen.get(0).bytes()).getInt(12), "the vSID");
    }
}
