package io.nestor.core.ioasid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.UnitFeatures;
import io.nestor.core.topology.Topology;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.topology.UnitSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class PasidSpaceWidthTest {

    private static UnitFeatures unit(int pasidBits) {
        return new UnitFeatures(true, pasidBits, 48, 48, UnitFeatures.SIZE_4K, false, false, false, false, false, 16,
                16, false, false);
    }

    @Test
    void narrowestPasidCapableUnitWins() {
        assertEquals(8, PasidSpaceWidth.of(List.of(unit(20), unit(8), unit(16))));
        assertEquals(16, PasidSpaceWidth.of(List.of(unit(0), unit(16), unit(0))),
                "units without PASIDs do not narrow the space");
        assertEquals(0, PasidSpaceWidth.of(List.of(unit(0), unit(0))));
        assertEquals(0, PasidSpaceWidth.of(List.of()));
    }

    @Test
    void defaultTopologyGivesTheFullTwentyBitSpace() {
        Topology t = TopologyFile.embeddedDefault();
        IoasidSpace space = IoasidSpace.forUnits(t.units().stream().map(UnitSpec::features).toList());
        assertEquals(20, space.widthBits());
        assertEquals(0xFFFFF, space.maxPasid());
        assertEquals(0xFFFFF, space.capacity());
    }

    @Test
    void widthOutsidePcieRangeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new IoasidSpace(21));
        assertThrows(IllegalArgumentException.class, () -> new IoasidSpace(-1));
    }
}
