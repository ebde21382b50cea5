package io.nestor.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.core.dma.DeviceDma;
import io.nestor.core.dma.DmaFaultException;
import io.nestor.core.fault.PageRequestEvent;
import io.nestor.core.fault.UnitEventListener;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.driver.smmuv3.host.Smmuv3CommandSubmission;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import io.nestor.driver.smmuv3.hw.Smmuv3Idr1;
import io.nestor.driver.smmuv3.hw.Smmuv3RegisterOffsets;
import io.nestor.driver.smmuv3.hw.Smmuv3StreamTable;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The SMMUv3 stall model end to end: a stream whose STE sets S2S stalls a stage-2 fault instead of
 * terminating it. The stall event lands in the event queue with its STAG and is reported upward;
 * the transaction waits; a CMD_RESUME with retry (after the host fixed the mapping) lets it
 * complete, one with abort terminates it.
 */
class Smmuv3StallTest {
    private static final long IOVA = 0x4000_0000L;
    private static final long PA = 0x1_0000_0000L;
    /** STE.S2S: bit 57 of the third doubleword (IHI 0070 §5.2). */
    private static final long STE_S2S = 1L << 57;

    private final SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
    private final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    private final Smmuv3Driver driver = new Smmuv3Driver();
    private final DeviceDma dma = new DeviceDma(registry, 60_000);
    private final BlockingQueue<PageRequestEvent> stalls = new LinkedBlockingQueue<>();
    private final IommuUnit smmu0;
    private final DeviceInfo device;
    private final DomainDescriptor domain;
    private final PageTableFormat format;
    private final DriverDomainTables tables;

    Smmuv3StallTest() throws Exception {
        registry.addDriver(new DriverBinding(driver, IommuDriver.KIND_ARM_SMMUV3, "smmu", 1, "1.0.0", 0, 1));
        registry.faults().addListener(new UnitEventListener() {
            @Override
            public void pageRequest(PageRequestEvent event) {
                stalls.add(event);
            }
        });
        smmu0 = registry.runtimeUnit("smmu0").orElseThrow();
        device = registry.devices().stream().filter(d -> d.name().equals("smmu0-dma0")).findFirst().orElseThrow();
        domain = driver.allocPagingDomain(smmu0, 0);
        format = driver.pagingFormat(smmu0, domain);
        tables = new DriverDomainTables(memory, smmu0, domain, format);
        driver.attachDevice(smmu0, device, domain);
        // The platform device can stall: set STE.S2S, as Linux does for a "dma-can-stall" master.
        long ste = Smmuv3StreamTable.steAddress(memory, smmu0.registers().read64(Smmuv3RegisterOffsets.STRTAB_BASE),
                smmu0.registers().read32(Smmuv3RegisterOffsets.STRTAB_BASE_CFG),
                Smmuv3Idr1.get(Smmuv3Idr1.SIDSIZE, smmu0.registers().read32(Smmuv3RegisterOffsets.IDR1)),
                device.sourceId());
        memory.write64(ste + 16, memory.read64(ste + 16) | STE_S2S);
        Smmuv3CommandSubmission.issueWithSync(smmu0, List.of(new Smmuv3Command(
                Smmuv3Command.CFGI_STE | (long) device.sourceId() << 32, 1)));
    }


    /** The host side: waits for the stall, runs {@code fix}, resumes it with {@code code}. */
    private Thread host(Runnable fix, PageResponseCode code) {
        Thread t = new Thread(() -> {
            try {
                PageRequestEvent stall = stalls.poll(60, TimeUnit.SECONDS);
                assertTrue(stall != null && stall.request().stall());
                assertEquals(32, stall.record().length, "the stall event in the event queue");
                fix.run();
                driver.pageResponse(smmu0, device, new PageResponse(-1, stall.request().groupIndex(), true, code));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        return t;
    }

    @Test
    void aStalledWriteCompletesAfterTheHostMapsThePageAndResumesWithRetry() throws Exception {
        Thread host = host(() -> tables.map(IOVA, PA), PageResponseCode.SUCCESS);
        dma.write(device, -1, IOVA + 0x40, new byte[] {0x5A}, 0, 1);
        host.join();
        assertEquals(0x5A, memory.read8(PA + 0x40));
    }

    @Test
    void aStalledReadResumedWithAbortFails() throws Exception {
        Thread host = host(() -> { }, PageResponseCode.FAILURE);
        DmaFaultException e = assertThrows(DmaFaultException.class,
                () -> dma.read(device, -1, IOVA, new byte[4], 0, 4));
        host.join();
        assertEquals(FaultReason.TRANSLATION, e.event().fault().reason());
        assertEquals(0, e.event().record().length, "recorded once, as the stall event");
    }
}
