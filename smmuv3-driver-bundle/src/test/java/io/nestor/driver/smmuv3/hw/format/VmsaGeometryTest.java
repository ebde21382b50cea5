package io.nestor.driver.smmuv3.hw.format;

import static io.nestor.driver.smmuv3.hw.format.VmsaGranule.GRANULE_16K;
import static io.nestor.driver.smmuv3.hw.format.VmsaGranule.GRANULE_4K;
import static io.nestor.driver.smmuv3.hw.format.VmsaGranule.GRANULE_64K;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Walk geometry hand-computed from the Arm ARM start-level and concatenation rules (hw-formats.md §2.4). */
class VmsaGeometryTest {

    @ParameterizedTest(name = "{0} T0SZ={1}: {2} levels, root {3} bits")
    @CsvSource({
        // inputsize = 64 - T0SZ; start level = 4 - floor((inputsize - 4) / stride)
        "GRANULE_4K, 16, 4, 9",
        "GRANULE_4K, 25, 3, 9",
        "GRANULE_4K, 32, 3, 2",
        "GRANULE_4K, 39, 2, 4",
        "GRANULE_16K, 16, 4, 1",
        "GRANULE_16K, 17, 3, 11",
        "GRANULE_16K, 28, 2, 11",
        "GRANULE_16K, 39, 1, 11",
        "GRANULE_64K, 16, 3, 6",
        "GRANULE_64K, 22, 2, 13",
        "GRANULE_64K, 34, 2, 1",
        "GRANULE_64K, 35, 1, 13",
        "GRANULE_64K, 39, 1, 9",
    })
    void stage1(VmsaGranule granule, int t0sz, int levels, int rootBits) {
        VmsaGeometry g = VmsaGeometry.stage1(granule, t0sz);
        assertEquals(levels, g.levels());
        assertEquals(rootBits, g.rootIndexBits());
        assertEquals(1, g.rootTableCount());
        assertEquals(64 - t0sz, g.inputBits());
        assertEquals(rootBits, g.indexBits(levels - 1));
        // the levels below the root plus the root cover exactly the input
        assertEquals(64 - t0sz, g.levelShift(levels - 1) + rootBits);
    }

    @ParameterizedTest(name = "{0} S2T0SZ={1} SL0={2}: {3} levels, root {4} bits x{5}")
    @CsvSource({
        "GRANULE_4K, 24, 1, 3, 9, 2",   // hw-formats.md example: 40-bit IPA at level 1 needs 2 tables
        "GRANULE_4K, 16, 2, 4, 9, 1",
        "GRANULE_4K, 22, 1, 3, 9, 8",
        "GRANULE_4K, 21, 1, 3, 9, 16",
        "GRANULE_4K, 25, 1, 3, 9, 1",
        "GRANULE_4K, 32, 0, 2, 9, 4",
        "GRANULE_4K, 39, 0, 2, 4, 1",
        "GRANULE_16K, 16, 2, 3, 11, 2",
        "GRANULE_16K, 28, 1, 2, 11, 1",
        "GRANULE_16K, 24, 1, 2, 11, 16",
        "GRANULE_16K, 39, 0, 1, 11, 1",
        "GRANULE_16K, 36, 0, 1, 11, 8",
        "GRANULE_64K, 16, 2, 3, 6, 1",
        "GRANULE_64K, 22, 1, 2, 13, 1",
        "GRANULE_64K, 20, 1, 2, 13, 4",
        "GRANULE_64K, 35, 0, 1, 13, 1",
        "GRANULE_64K, 32, 0, 1, 13, 8",
    })
    void stage2(VmsaGranule granule, int s2t0sz, int sl0, int levels, int rootBits, int tables) {
        VmsaGeometry g = VmsaGeometry.stage2(granule, s2t0sz, sl0);
        assertEquals(levels, g.levels());
        assertEquals(rootBits, g.rootIndexBits());
        assertEquals(tables, g.rootTableCount());
        assertEquals(64 - s2t0sz,
                g.levelShift(levels - 1) + rootBits + Integer.numberOfTrailingZeros(tables));
    }

    @Test
    void stage2StartLevelFollowsGranule() {
        // 4 KiB: SL0 0/1/2 -> VMSA level 2/1/0; 16K and 64K: SL0 0/1/2 -> VMSA level 3/2/1
        assertEquals(2, VmsaGeometry.stage2(GRANULE_4K, 39, 0).startVmsaLevel());
        assertEquals(0, VmsaGeometry.stage2(GRANULE_4K, 16, 2).startVmsaLevel());
        assertEquals(3, VmsaGeometry.stage2(GRANULE_16K, 39, 0).startVmsaLevel());
        assertEquals(1, VmsaGeometry.stage2(GRANULE_64K, 16, 2).startVmsaLevel());
    }

    @ParameterizedTest(name = "{0} S2T0SZ={1} SL0={2} rejected")
    @CsvSource({
        "GRANULE_4K, 16, 1",  // 48-bit at level 1 would need 512 tables
        "GRANULE_4K, 20, 1",  // 32 tables
        "GRANULE_4K, 25, 2",  // 39-bit at level 0: the start level resolves no bit
        "GRANULE_4K, 39, 1",
        "GRANULE_16K, 16, 1", // 48-bit at level 2: 2^(48-36) tables
        "GRANULE_16K, 39, 2", // 25-bit at level 1: the start level resolves no bit
        "GRANULE_64K, 16, 1",
        "GRANULE_64K, 35, 1", // 29-bit at level 2: nothing left for the root
        "GRANULE_64K, 30, 0", // 34-bit at level 3: 32 tables
        "GRANULE_4K, 24, 3",  // SL0 = 3 reserved
        "GRANULE_4K, 15, 2",  // S2T0SZ below 16
        "GRANULE_4K, 40, 0",  // S2T0SZ above 39
    })
    void invalidStage2(VmsaGranule granule, int s2t0sz, int sl0) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VmsaGeometry.stage2(granule, s2t0sz, sl0));
        String expected = sl0 == 3 ? "S2SL0 3" : "S2T0SZ " + s2t0sz;
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @ParameterizedTest(name = "T0SZ={0} rejected")
    @CsvSource({"15", "40", "0", "64"})
    void invalidStage1(int t0sz) {
        for (VmsaGranule granule : VmsaGranule.values()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> VmsaGeometry.stage1(granule, t0sz));
            assertTrue(e.getMessage().contains("T0SZ " + t0sz), e.getMessage());
        }
    }

    @Test
    void blockLevelsPerGranule() {
        VmsaGeometry g4 = VmsaGeometry.stage1(GRANULE_4K, 16);
        assertTrue(g4.leafAllowed(0));        // 4 KiB page
        assertTrue(g4.leafAllowed(1));        // 2 MiB
        assertTrue(g4.leafAllowed(2));        // 1 GiB
        assertFalse(g4.leafAllowed(3));       // VMSA level 0: no 512 GiB block
        assertEquals(21, g4.levelShift(1));
        assertEquals(30, g4.levelShift(2));

        VmsaGeometry g16 = VmsaGeometry.stage1(GRANULE_16K, 16);
        assertTrue(g16.leafAllowed(1));       // 32 MiB
        assertEquals(25, g16.levelShift(1));
        assertFalse(g16.leafAllowed(2));      // 64 GiB only with LPA2
        assertFalse(g16.leafAllowed(3));

        VmsaGeometry g64 = VmsaGeometry.stage1(GRANULE_64K, 16);
        assertTrue(g64.leafAllowed(1));       // 512 MiB
        assertEquals(29, g64.levelShift(1));
        assertFalse(g64.leafAllowed(2));      // 4 TiB only with 52-bit PA
        assertFalse(g64.leafAllowed(3));      // beyond the walk
    }
}
