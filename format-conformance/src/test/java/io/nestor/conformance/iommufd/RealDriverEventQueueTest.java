package io.nestor.conformance.iommufd;

import static io.nestor.conformance.iommufd.RealDriverPlatform.ARM;
import static io.nestor.conformance.iommufd.RealDriverPlatform.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.core.dma.DeviceDma;
import io.nestor.core.fault.FaultEvent;
import io.nestor.core.iommufd.HwptAllocCommand;
import io.nestor.core.iommufd.HwptAllocFlags;
import io.nestor.core.iommufd.IommufdEventRouter;
import io.nestor.core.iommufd.QueueListener;
import io.nestor.core.iommufd.VeventQueue;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.translate.TranslationResult;
import io.nestor.driver.smmuv3.hw.Smmuv3Cd;
import io.nestor.driver.smmuv3.hw.Smmuv3Ste;
import io.nestor.driver.smmuv3.hw.format.VmsaGeometry;
import io.nestor.driver.smmuv3.hw.format.VmsaGranule;
import io.nestor.driver.smmuv3.hw.format.VmsaStage1Format;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * iommufd's event queues with the real drivers: a VT-d PRI page request queued by the unit's page
 * request queue, routed to the FAULT object of the HWPT its PASID is attached to, answered through
 * the fault queue and delivered to the waiting device as a page group response through the
 * invalidation queue; and an SMMUv3 F_TRANSLATION of a device on a vIOMMU's nested HWPT, written
 * to the event queue by the hardware half and reported on the vIOMMU's VEVENTQ with the vSID.
 */
class RealDriverEventQueueTest {
    private static final long GUEST_RAM = 0x10_0000_0000L;

    private final RealDriverPlatform p = new RealDriverPlatform();
    private final IommufdEventRouter router = new IommufdEventRouter(p.platform);
    private final DeviceDma dma = new DeviceDma(p.registry);
    private final BlockingQueue<Integer> readable = new LinkedBlockingQueue<>();
    private final ExecutorService device = Executors.newSingleThreadExecutor();

    RealDriverEventQueueTest() {
        p.registry.faults().addListener(router);
        p.context.setQueueListener(new QueueListener() {
            @Override
            public void faultReadable(int faultId) {
                readable.add(faultId);
            }
        });
    }

    @AfterEach
    void close() {
        device.shutdownNow();
        dma.close();
        p.registry.faults().removeListener(router);
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A NIC PASID 5 attached to a fault-enabled paging HWPT; returns the FAULT object's id. */
    private int nicOnFaultHwpt(int nic) {
        int ioas = p.context.ioas().alloc(0);
        int fault = p.context.eventQueues().faultQueueAlloc(0);
        int hwpt = p.context.hwpts().alloc(new HwptAllocCommand(HwptAllocFlags.FAULT_ID_VALID | HwptAllocFlags.PASID,
                nic, ioas, 0, HwptAllocFlags.DATA_NONE, null, fault));
        p.context.devices().attach(nic, 5, hwpt);
        return fault;
    }

    private Future<PageResponse> pageRequest(int grpid) {
        DeviceInfo d = p.device(NIC);
        return device.submit(() -> dma.pageRequest(d,
                new PageRequest(d.sourceId(), 5, 0x7000_0000L, Access.WRITE, grpid, true, false, 0), 60_000));
    }

    @Test
    void aVtdPageRequestGoesThroughTheFaultQueueAndTheResponseReachesTheDevice() throws Exception {
        int nic = p.context.devices().bind(NIC);
        int fault = nicOnFaultHwpt(nic);
        Future<PageResponse> answer = pageRequest(0x1A);
        assertEquals(fault, readable.poll(60, TimeUnit.SECONDS));
        ByteBuffer r = le(p.context.eventQueues().readFault(fault, 40));
        assertEquals(40, r.remaining());
        assertEquals(3, r.getInt(0), "PASID_VALID | LAST_PAGE");
        assertEquals(nic, r.getInt(4), "dev_id");
        assertEquals(5, r.getInt(8));
        assertEquals(0x1A, r.getInt(12));
        assertEquals(Access.WRITE, r.getInt(16), "perm WRITE");
        assertEquals(0x7000_0000L, r.getLong(24));
        int cookie = r.getInt(36);
        assertEquals(1, cookie);
        byte[] success = le(new byte[8]).putInt(cookie).putInt(0).array();
        assertEquals(8, p.context.eventQueues().faultRespond(fault, success));
        assertEquals(new PageResponse(5, 0x1A, false, PageResponseCode.SUCCESS), answer.get(60, TimeUnit.SECONDS));
    }

    @Test
    void detachingThePasidAnswersTheWaitingDeviceInvalid() throws Exception {
        int nic = p.context.devices().bind(NIC);
        int fault = nicOnFaultHwpt(nic);
        Future<PageResponse> answer = pageRequest(0x2B);
        assertEquals(fault, readable.poll(60, TimeUnit.SECONDS));
        p.context.devices().detach(nic, 5);
        assertEquals(new PageResponse(5, 0x2B, false, PageResponseCode.INVALID), answer.get(60, TimeUnit.SECONDS));
        assertEquals(0, p.context.eventQueues().readFault(fault, 40).length);
    }

    @Test
    void aRequestNoFaultQueueTakesIsAnsweredInvalid() throws Exception {
        p.context.devices().bind(NIC); // bound, nothing attached at PASID 5
        assertEquals(PageResponseCode.INVALID, pageRequest(0x3C).get(60, TimeUnit.SECONDS).code());
    }

    @Test
    void anSmmuTranslationFaultOnAViommuNestedHwptIsAVeventWithTheVsid() {
        p.region(0x7000_0000L, 0x10_0000L, GUEST_RAM);
        int ioas = p.context.ioas().alloc(0);
        p.map(ioas, 0x7000_0000L, 0x10_0000L, GUEST_RAM);
        VmsaStage1Format s1 = new VmsaStage1Format(VmsaGeometry.stage1(VmsaGranule.GRANULE_4K, 16), 48, false, false);
        PageTableBuilder guest = new PageTableBuilder(s1,
                new PageAllocator(p.memory, GUEST_RAM + 0x1_0000L, 0x8_0000L, 12), 1L << 12);
        guest.map(0x4000_0000L, 0x1000_0000L, 0x1000, Permission.READ | Permission.WRITE | Permission.USER);
        long cd0 = Smmuv3Cd.T0SZ.insert(0, 16) | Smmuv3Cd.TG0.insert(0, 0) | Smmuv3Cd.V.insert(0, true)
                | Smmuv3Cd.IPS.insert(0, 5) | Smmuv3Cd.AA64.insert(0, true) | Smmuv3Cd.R.insert(0, true)
                | Smmuv3Cd.A.insert(0, true) | Smmuv3Cd.ASID.insert(0, 7);
        p.memory.write64(GUEST_RAM, cd0);
        p.memory.write64(GUEST_RAM + 8, Smmuv3Cd.TTB0.insert(0, guest.rootAddress() >>> 4));
        long ste0 = Smmuv3Ste.V.insert(0, true) | Smmuv3Ste.CONFIG.insert(0, Smmuv3Ste.CONFIG_S1_TRANS)
                | Smmuv3Ste.S1FMT.insert(0, Smmuv3Ste.S1FMT_LINEAR)
                | Smmuv3Ste.S1_CONTEXT_PTR.insert(0, GUEST_RAM >>> 6);
        byte[] vste = le(new byte[16]).putLong(ste0).putLong(0).array();

        int arm = p.context.devices().bind(ARM);
        int parent = p.context.hwpts().alloc(HwptAllocCommand.paging(HwptAllocFlags.NEST_PARENT, arm, ioas));
        int viommu = p.context.viommus().allocViommu(0, 1, arm, parent, null);
        p.context.viommus().allocVdevice(viommu, arm, 0x40);
        int veventq = p.context.eventQueues().veventqAlloc(0, viommu, 1, 2, 0);
        int nested = p.context.hwpts().alloc(HwptAllocCommand.nested(0, arm, viommu, 2, vste));
        p.context.devices().attach(arm, DeviceInfo.NO_PASID, nested);

        DeviceInfo d = p.device(ARM);
        TranslationResult out = new TranslationResult();
        FaultEvent hw = dma.translate(d, DeviceInfo.NO_PASID, 0x5000_0000L, Access.READ, out);
        assertNotNull(hw, "no stage-1 mapping at 0x5000_0000");
        assertEquals(32, hw.record().length, "the hardware wrote an event");
        assertEquals(d.sourceId(), le(hw.record()).getInt(4), "the host's StreamID in the host's record");
        List<byte[]> events = p.context.eventQueues().readVevents(veventq, 8);
        assertEquals(1, events.size());
        ByteBuffer e = le(events.get(0));
        assertEquals(40, e.remaining());
        assertEquals(0, e.getInt(0));
        assertEquals(0, e.getInt(4), "sequence");
        assertEquals(0x10, e.get(8) & 0xff, "F_TRANSLATION");
        assertEquals(0x40, e.getInt(12), "the vSID");
        assertEquals(le(hw.record()).getLong(16), e.getLong(24), "InputAddr as the hardware wrote it");
        assertEquals(le(hw.record()).getLong(8), e.getLong(16));

        for (int i = 0; i < 4; i++) {
            assertNotNull(dma.translate(d, DeviceInfo.NO_PASID, 0x5000_0000L + 0x1000L * i, Access.READ, out));
        }
        // stage 1 maps 0x4000_0000 to IPA 0x1000_0000, which stage 2 does not map: the host's fault
        FaultEvent s2 = dma.translate(d, DeviceInfo.NO_PASID, 0x4000_0000L, Access.READ, out);
        assertEquals(io.nestor.api.translation.FaultStage.STAGE2, s2.fault().stage());
        assertEquals(1L << 39, le(s2.record()).getLong(8) & (1L << 39), "the record says S2");
        events = p.context.eventQueues().readVevents(veventq, 8);
        assertEquals(3, events.size(), "depth 2, then the lost-events header; the stage-2 fault is not reported");
        assertEquals(1, le(events.get(0)).getInt(4));
        assertEquals(2, le(events.get(1)).getInt(4));
        assertEquals(VeventQueue.FLAG_LOST_EVENTS, le(events.get(2)).getInt(0));
        assertEquals(4, le(events.get(2)).getInt(4), "the last dropped event's sequence");
        assertEquals(8, events.get(2).length);
    }
}
