package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.ReservedRegion;
import java.util.List;
import org.junit.jupiter.api.Test;

class Smmuv3ReservedRegionsTest {
    @Test
    void theSoftwareMsiWindowIsReserved() {
        HostFixture f = HostFixture.typical();
        assertEquals(List.of(new ReservedRegion(0x800_0000L, 0x10_0000L, ReservedRegion.Type.SW_MSI)),
                f.driver.reservedRegions(f.unit, HostFixture.device(3, false, false)));
    }
}
