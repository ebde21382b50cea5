package io.nestor.core.dma;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.platform.RecordingDriver;
import io.nestor.core.testformat.TestPageTableFormat;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.unit.DriverBinding;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A device's DMA through a real registry, engine and stage-2 tables, with a driver double. */
class DeviceDmaTest {
    private static final long PAGE_A = 0x2_0000_0000L;
    private static final long PAGE_B = 0x2_0040_0000L;

    private final SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
    private final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    private final TestPageTableFormat format = TestPageTableFormat.granule4k();
    private final PageTableBuilder stage2 = new PageTableBuilder(format,
            new PageAllocator(memory, 0x1000_0000L, 0x100_0000L, 12), 1L << 12);
    private final DeviceInfo device = registry.devices().stream().filter(d -> d.name().equals("0000:00:02.0"))
            .findFirst().orElseThrow();
    private final DeviceDma dma = new DeviceDma(registry);
    /** Whether the driver's page request queue is "full", so that the hardware answers at once. */
    private volatile boolean queueFull;
    /** Whether permission faults stall (an SMMUv3 stream with S2S set). */
    private volatile boolean stallOnPermission;
    /** The stalled transactions the "hardware" queued, for the test's host side to resume. */
    private final java.util.concurrent.BlockingQueue<PageRequest> stalled =
            new java.util.concurrent.LinkedBlockingQueue<>();

    /** Decodes every request to the stage-2 tables above; a "full" page request queue answers at once. */
    private final RecordingDriver driver = new RecordingDriver(IommuDriver.KIND_INTEL_VTD, 1) {
        @Override
        public TranslationConfig decodeConfig(UnitContext unit, DeviceInfo d, int pasid) {
            return new TranslationConfig(TranslationMode.STAGE2, null,
                    new StageConfig(format, stage2.rootAddress(), false), 9, -1);
        }

        @Override
        public boolean stallsOnFault(UnitContext unit, DeviceInfo d, int pasid, Fault fault) {
            return stallOnPermission && fault.reason() == FaultReason.PERMISSION;
        }

        @Override
        public byte[] recordPageRequest(UnitContext unit, DeviceInfo d, PageRequest request) {
            if (request.stall()) {
                calls.add("stall");
                stalled.add(request);
                return new byte[] {2};
            }
            calls.add("page request " + request.groupIndex());
            if (queueFull) {
                unit.completePageRequest(request.sourceId(),
                        new PageResponse(request.pasid(), request.groupIndex(), false, PageResponseCode.SUCCESS));
                return new byte[0];
            }
            return new byte[] {1};
        }
    };

    DeviceDmaTest() {
        registry.addDriver(new DriverBinding(driver, driver.kind(), "test", 1, "1.0.0", 0, 1));
        driver.calls.clear(); // reset and hw_info of the bind
        int rw = Permission.READ | Permission.WRITE | Permission.USER;
        stage2.map(0x10_0000, PAGE_A, 0x1000, rw);
        stage2.map(0x10_1000, PAGE_B, 0x1000, rw);
        stage2.map(0x10_2000, PAGE_B + 0x1000, 0x1000, Permission.READ | Permission.USER);
    }

    @AfterEach
    void close() {
        dma.close();
    }

    @Test
    void dataMovesPageByPageThroughTheTranslation() {
        byte[] data = new byte[64];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i + 1);
        }
        dma.write(device, -1, 0x10_0FE0, data, 0, data.length);

        assertEquals(data[0], memory.read8(PAGE_A + 0xFE0), "first half at the end of the first page");
        assertEquals(data[32], memory.read8(PAGE_B), "second half at the start of the other page");
        byte[] back = new byte[64];
        dma.read(device, -1, 0x10_0FE0, back, 0, back.length);
        assertArrayEquals(data, back);
    }

    @Test
    void aFaultStopsTheTransferAndIsRecordedByTheUnit() {
        byte[] data = new byte[16];
        DmaFaultException e = assertThrows(DmaFaultException.class,
                () -> dma.write(device, -1, 0x10_2000, data, 0, data.length));
        assertEquals(Errno.EFAULT, e.errno());
        assertEquals(FaultReason.PERMISSION, e.event().fault().reason());
        assertEquals(FaultStage.STAGE2, e.event().fault().stage());
        assertArrayEquals(new byte[] {(byte) FaultReason.PERMISSION.ordinal(), -1}, e.event().record());
        assertEquals(List.of("recordFault dmar0 0000:00:02.0 -1"), driver.calls);
        assertEquals(List.of(e.event()), registry.faults().recent("dmar0", 5));

        DmaFaultException unmapped = assertThrows(DmaFaultException.class,
                () -> dma.read(device, -1, 0x50_0000, new byte[8], 0, 8));
        assertEquals(FaultReason.TRANSLATION, unmapped.event().fault().reason());
        assertEquals(Access.READ, unmapped.event().fault().access());
    }

    @Test
    void badBuffersAndWrappingRangesAreRefused() {
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> dma.read(device, -1, 0x10_0000, new byte[4], 2, 4)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> dma.read(device, -1, 0x10_0000, new byte[4], Integer.MAX_VALUE, 1)).errno(),
                "an offset + length that overflows int is still outside the buffer");
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> dma.read(device, -1, -8L, new byte[16], 0, 16)).errno());
    }

    @Test
    void aPageRequestWaitsForTheResponseTheUnitDelivers() throws Exception {
        PageRequest request = new PageRequest(device.sourceId(), 4, 0x7000, Access.WRITE, 3, true, false, 0);
        Thread responder = new Thread(() -> {
            while (dma.outstandingPageRequests() == 0 || driver.calls.isEmpty()) {
                Thread.onSpinWait();
            }
            registry.runtimeUnit("dmar0").orElseThrow().completePageRequest(device.sourceId(),
                    new PageResponse(4, 3, false, PageResponseCode.INVALID));
        });
        responder.start();
        PageResponse response = dma.pageRequest(device, request, 60_000);
        responder.join();
        assertEquals(PageResponseCode.INVALID, response.code());
        assertEquals(List.of("page request 3"), driver.calls);
        assertEquals(0, dma.outstandingPageRequests());
    }

    @Test
    void aFullQueueIsAnsweredByTheHardwareAndAnUnansweredRequestTimesOut() {
        PageRequest request = new PageRequest(device.sourceId(), 4, 0x7000, Access.READ, 5, true, false, 0);
        queueFull = true;
        assertEquals(PageResponseCode.SUCCESS, dma.pageRequest(device, request, 60_000).code());

        queueFull = false;
        IommuException timeout = assertThrows(IommuException.class, () -> dma.pageRequest(device, request, 10));
        assertEquals(Errno.ETIMEDOUT, timeout.errno());
        assertEquals(0, dma.outstandingPageRequests(), "a timed-out wait is withdrawn");

        DeviceInfo noPri = registry.devices().stream().filter(d -> d.name().equals("0000:00:03.0")).findFirst()
                .orElseThrow();
        PageRequest fromNoPri = new PageRequest(noPri.sourceId(), 1, 0x7000, Access.READ, 1, true, false, 0);
        assertEquals(Errno.EOPNOTSUPP,
                assertThrows(IommuException.class, () -> dma.pageRequest(noPri, fromNoPri, 10)).errno());
    }

    /** Resumes the next stalled transaction, after {@code fix} ran, as a host driver's CMD_RESUME would. */
    private Thread resumer(Runnable fix, PageResponseCode code) {
        Thread t = new Thread(() -> {
            try {
                PageRequest s = stalled.take();
                fix.run();
                registry.runtimeUnit("dmar0").orElseThrow().completePageRequest(s.sourceId(),
                        new PageResponse(s.pasid(), s.groupIndex(), true, code));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        return t;
    }

    @Test
    void aStalledWriteIsRetriedAfterItsResumeAndSucceeds() throws Exception {
        stallOnPermission = true;
        Thread host = resumer(() -> {
            stage2.unmap(0x10_2000, 0x1000);
            stage2.map(0x10_2000, PAGE_B + 0x1000, 0x1000, Permission.READ | Permission.WRITE | Permission.USER);
            registry.engine().invalidate(new InvalidationScope.Domain(0, 9));
        }, PageResponseCode.SUCCESS);
        dma.write(device, -1, 0x10_2008, new byte[] {7}, 0, 1);
        host.join();
        assertEquals(7, memory.read8(PAGE_B + 0x1008));
        assertEquals(List.of("stall"), driver.calls, "a stall is not recorded as a fault");
        assertEquals(0, registry.runtimeUnit("dmar0").orElseThrow().allocatedIds("stag"), "the stall tag is free");
    }

    @Test
    void aStalledWriteWhoseResumeAbortsFailsWithoutASecondRecord() throws Exception {
        stallOnPermission = true;
        Thread host = resumer(() -> { }, PageResponseCode.FAILURE);
        DmaFaultException e = assertThrows(DmaFaultException.class,
                () -> dma.write(device, -1, 0x10_2000, new byte[] {1}, 0, 1));
        host.join();
        assertEquals(FaultReason.PERMISSION, e.event().fault().reason());
        assertEquals(0, e.event().record().length, "the stall event was the record");
        assertEquals(List.of("stall"), driver.calls);
    }
}
