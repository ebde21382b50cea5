package io.nestor.api.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class HwInfoTest {

    @Test
    void dataIsDefensivelyCopiedBothWays() {
        byte[] raw = {1, 2, 3};
        HwInfo info = new HwInfo(HwInfo.TYPE_INTEL_VTD, raw, 0, 20, Map.of("cap_reg", 5L));
        raw[0] = 9;
        assertEquals(1, info.data()[0]);
        info.data()[1] = 9;
        assertEquals(2, info.data()[1]);
        assertThrows(UnsupportedOperationException.class, () -> info.registers().put("x", 1L));
    }

    @Test
    void unitFeaturesRejectOutOfRangeWidths() {
        assertThrows(IllegalArgumentException.class,
                () -> new UnitFeatures(true, 21, 48, 48, UnitFeatures.SIZE_4K, false, false, false, false, false, 16, 16, false, false));
        assertThrows(IllegalArgumentException.class,
                () -> new UnitFeatures(true, 20, 48, 53, UnitFeatures.SIZE_4K, false, false, false, false, false, 16, 16, false, false));
        assertThrows(IllegalArgumentException.class,
                () -> new UnitFeatures(true, 20, 48, 48, 0, false, false, false, false, false, 16, 16, false, false));
    }
}
