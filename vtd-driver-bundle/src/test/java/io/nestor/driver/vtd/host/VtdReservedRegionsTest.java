package io.nestor.driver.vtd.host;

import static io.nestor.driver.vtd.host.HostFixture.DRIVER;
import static io.nestor.driver.vtd.host.HostFixture.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.ReservedRegion;
import java.util.List;
import org.junit.jupiter.api.Test;

class VtdReservedRegionsTest {
    @Test
    void theInterruptRangeIsAnMsiRegion() {
        List<ReservedRegion> r = DRIVER.reservedRegions(HostFixture.unit(), NIC);
        assertEquals(List.of(new ReservedRegion(0xfee0_0000L, 0x10_0000L, ReservedRegion.Type.MSI)), r);
        assertEquals(0xfeef_ffffL, r.get(0).last());
    }
}
