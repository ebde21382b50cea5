package io.nestor.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.core.dma.DeviceDma;
import io.nestor.core.fault.PageRequestEvent;
import io.nestor.core.fault.UnitEventListener;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.driver.vtd.VtdDriver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Recoverable faults end to end with the real drivers: a device's PRI page request (VT-d page
 * request queue, SMMUv3 PRI queue) or stalled transaction (SMMUv3 stall event) is queued by the
 * unit's hardware half, reported upward, answered by the host-driver half (a page group response
 * through the invalidation queue, CMD_PRI_RESP, CMD_RESUME), and the answer reaches the waiting
 * device through the platform.
 */
class PageRequestRoundTripTest {

    private final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(),
            new SparsePhysicalMemory(52));
    private final VtdDriver vtd = new VtdDriver();
    private final Smmuv3Driver smmu = new Smmuv3Driver();
    private final DeviceDma dma = new DeviceDma(registry);
    private final BlockingQueue<PageRequestEvent> reported = new LinkedBlockingQueue<>();

    PageRequestRoundTripTest() {
        registry.addDriver(new DriverBinding(vtd, IommuDriver.KIND_INTEL_VTD, "vtd", 1, "1.0.0", 0, 1));
        registry.addDriver(new DriverBinding(smmu, IommuDriver.KIND_ARM_SMMUV3, "smmu", 2, "1.0.0", 0, 2));
        registry.faults().addListener(new UnitEventListener() {
            @Override
            public void pageRequest(PageRequestEvent event) {
                reported.add(event);
            }
        });
    }

    private DeviceInfo device(String name) {
        return registry.devices().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow();
    }

    /** Issues the request on a device thread, answers it as the host driver does, returns what the device got. */
    private PageResponse roundTrip(IommuDriver driver, String unitName, DeviceInfo device, PageRequest request,
            PageResponseCode answer) throws Exception {
        IommuUnit unit = registry.runtimeUnit(unitName).orElseThrow();
        // The device is attached to a paging domain: its unit is up (queues enabled) and its stream configured.
        driver.attachDevice(unit, device, driver.allocPagingDomain(unit, 0));
        AtomicReference<Object> got = new AtomicReference<>();
        Thread deviceThread = new Thread(() -> {
            try {
                got.set(dma.pageRequest(device, request, 60_000));
            } catch (RuntimeException e) {
                got.set(e);
            }
        });
        deviceThread.start();
        PageRequestEvent event = reported.poll(60, TimeUnit.SECONDS);
        assertTrue(event != null, "the request was reported upward");
        assertTrue(event.record().length > 0, "the hardware queued a record");
        driver.pageResponse(unit, device, new PageResponse(request.pasid(), request.groupIndex(), request.stall(),
                answer));
        deviceThread.join();
        assertTrue(got.get() instanceof PageResponse, String.valueOf(got.get()));
        return (PageResponse) got.get();
    }

    @Test
    void aVtdPageRequestIsAnsweredByAPageGroupResponse() throws Exception {
        DeviceInfo accel = device("0000:00:02.0");
        PageRequest request = new PageRequest(accel.sourceId(), 5, 0x7000_0000L, Access.WRITE, 0x1A, true, false, 0);
        PageResponse response = roundTrip(vtd, "dmar0", accel, request, PageResponseCode.INVALID);
        assertEquals(PageResponseCode.INVALID, response.code());
        assertEquals(0x1A, response.groupIndex());
        assertEquals(5, response.pasid());
    }

    @Test
    void anSmmuPriRequestIsAnsweredByCmdPriResp() throws Exception {
        DeviceInfo nic = device("0001:00:01.0");
        PageRequest request = new PageRequest(nic.sourceId(), 3, 0x4000_0000L, Access.READ, 0x11, true, false, 0);
        assertEquals(PageResponseCode.SUCCESS,
                roundTrip(smmu, "smmu0", nic, request, PageResponseCode.SUCCESS).code());
    }

    @Test
    void anSmmuStallIsResumedByCmdResume() throws Exception {
        DeviceInfo platformDevice = device("smmu0-dma0");
        PageRequest stall = new PageRequest(platformDevice.sourceId(), -1, 0x4000_1000L, Access.READ, 0x1234, true,
                true, 0);
        PageResponse response = roundTrip(smmu, "smmu0", platformDevice, stall, PageResponseCode.SUCCESS);
        assertTrue(response.stall());
        assertEquals(0x1234, response.groupIndex());
        assertEquals(PageResponseCode.SUCCESS, response.code(), "retry");
    }
}
