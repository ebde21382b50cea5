package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.driver.smmuv3.hw.Smmuv3RegisterOffsets;
import io.nestor.testkit.TestUnitContext.DeliveredResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The host half's queues used by the hardware half: a page request in the PRI queue, answered. */
class Smmuv3HostAndHardwareTest {

    @Test
    void pageRequestLandsInThePriQueueTheHostSetUpAndItsResponseReachesTheDevice() {
        HostFixture f = HostFixture.typical();
        DeviceInfo device = HostFixture.device(0x99, true, true);
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 0);
        f.driver.attachDevice(f.unit, device, d);
        byte[] record = f.driver.recordPageRequest(f.unit, device,
                new PageRequest(0x99, 4, 0x1234_5000L, Access.READ, 0x17, true, false, 0));
        assertEquals(16, record.length, "one PRI queue entry");
        long priqBase = f.unit.registers().read64(Smmuv3RegisterOffsets.PRIQ_BASE) & 0x000F_FFFF_FFFF_FFE0L;
        assertEquals(0x99L, f.memory.read64(priqBase) & 0xFFFF_FFFFL, "PRIQ entry 0: SID");
        assertEquals(1, f.unit.registers().read32(Smmuv3RegisterOffsets.PRIQ_PROD) & 0xFF);
        f.driver.pageResponse(f.unit, device, new PageResponse(4, 0x17, false, PageResponseCode.SUCCESS));
        assertEquals(List.of(new DeliveredResponse(0x99, new PageResponse(4, 0x17, false, PageResponseCode.SUCCESS))),
                f.unit.deliveredResponses());
        assertTrue(Smmuv3DeviceReset.isUp(f.unit));
    }
}
