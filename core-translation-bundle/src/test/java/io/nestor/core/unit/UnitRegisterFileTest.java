package io.nestor.core.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class UnitRegisterFileTest {

    @Test
    void thirtyTwoBitHalvesComposeALittleEndianSixtyFourBitRegister() {
        UnitRegisterFile r = new UnitRegisterFile();
        r.write32(0x08, 0x89ab_cdef);
        r.write32(0x0c, 0x0123_4567);
        assertEquals(0x0123_4567_89ab_cdefL, r.read64(0x08));
        r.write64(0x10, 0xffff_0000_1234_5678L);
        assertEquals(0x1234_5678, r.read32(0x10));
        assertEquals(0xffff_0000, r.read32(0x14));
        r.write32(0x14, 7);
        assertEquals(0x0000_0007_1234_5678L, r.read64(0x10));
    }

    @Test
    void smmuPageOneIsInside() {
        UnitRegisterFile r = new UnitRegisterFile();
        r.write32(0x100a8, 42); // SMMUv3 EVTQ_PROD in page 1
        assertEquals(42, r.read32(0x100a8));
    }

    @Test
    void misalignedOrOutOfRangeOffsetsAreRejected() {
        UnitRegisterFile r = new UnitRegisterFile();
        assertThrows(IllegalArgumentException.class, () -> r.read32(2));
        assertThrows(IllegalArgumentException.class, () -> r.read64(4));
        assertThrows(IllegalArgumentException.class, () -> r.write64(UnitRegisterFile.SIZE, 1));
        assertThrows(IllegalArgumentException.class, () -> r.write32(-4, 1));
    }
}
