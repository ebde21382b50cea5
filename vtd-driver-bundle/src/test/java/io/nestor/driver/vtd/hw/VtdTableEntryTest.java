package io.nestor.driver.vtd.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Field extraction of the root, context, PASID-directory and PASID-table entries, hand-computed. */
class VtdTableEntryTest {

    @Test
    void rootEntryHalvesSelectedByDevfnBit7() {
        VtdRootEntry e = new VtdRootEntry(0x0000_1234_5678_9001L, 0x0000_0abc_def0_0000L);
        assertTrue(e.present(0x7F));
        assertEquals(0x0000_1234_5678_9000L, e.contextTablePointer(0x00));
        assertFalse(e.present(0x80));
        assertEquals(0x0000_0abc_def0_0000L, e.contextTablePointer(0xFF));
        assertFalse(e.reservedBitsSet(0x10, 46));
        assertTrue(e.reservedBitsSet(0x10, 44)); // bit 44 of the pointer set, HAW 44
        assertTrue(new VtdRootEntry(0x801L, 0).reservedBitsSet(0, 46)); // bit 11
        assertTrue(new VtdRootEntry(0, 0x3L).reservedBitsSet(0x80, 46)); // bit 65
    }

    @Test
    void contextEntryFields() {
        // P, FPD, DTE, PASIDE, PRE; PDTS 5; directory 0x7_6543_2000. RID_PASID 0xABCDE, RID_PRIV.
        VtdContextEntry e = new VtdContextEntry(0x7_6543_2000L | (5L << 9) | 0x1F, 0xABCDEL | (1L << 20), 0, 0);
        assertTrue(e.present());
        assertTrue(e.faultProcessingDisable());
        assertTrue(e.deviceTlbEnable());
        assertTrue(e.pasidEnable());
        assertTrue(e.pageRequestEnable());
        assertEquals(5, e.pasidDirectorySizeField());
        assertEquals(1 << 12, e.pasidDirectoryEntries());
        assertEquals(0x7_6543_2000L, e.pasidDirectoryPointer());
        assertEquals(0xABCDE, e.ridPasid());
        assertFalse(e.reservedBitsSet(46, true));
        assertTrue(e.reservedBitsSet(46, false)); // RID_PRIV without ECAP.RPRIVS
        assertTrue(new VtdContextEntry(1, 0, 0, 1).reservedBitsSet(46, true)); // qword 3
    }

    @Test
    void pasidDirectoryEntryFields() {
        VtdPasidDirectoryEntry e = new VtdPasidDirectoryEntry(0x12_3456_7000L | 3);
        assertTrue(e.present());
        assertTrue(e.faultProcessingDisable());
        assertEquals(0x12_3456_7000L, e.pasidTablePointer());
        assertFalse(e.reservedBitsSet(46));
        assertTrue(new VtdPasidDirectoryEntry(0x801).reservedBitsSet(46));
    }

    @Test
    void pasidEntryFields() {
        long[] q = new long[8];
        // P, FPD, AW 2, SSEE, PGTT 3, SSADE, SSPTPTR 0xA_B000
        q[0] = 0xA_B000L | (1L << 9) | (3L << 6) | (1L << 5) | (2L << 2) | 3;
        q[1] = 0xFFFF_0000_0000_BEEFL; // DID 0xBEEF, PAT all ones
        q[2] = 0xC_D000L | (1L << 4) | (1L << 2) | 1; // SRE, FSPM 01, WPE
        VtdPasidEntry e = new VtdPasidEntry(q);
        q[0] = 0; // the entry keeps its own copy
        assertTrue(e.present());
        assertTrue(e.faultProcessingDisable());
        assertEquals(2, e.addressWidth());
        assertTrue(e.secondStageExecuteEnable());
        assertEquals(VtdPasidEntry.PGTT_NESTED, e.pgtt());
        assertTrue(e.secondStageAccessedDirtyEnable());
        assertEquals(0xA_B000L, e.secondStagePointer());
        assertEquals(0xBEEF, e.domainId());
        assertTrue(e.supervisorRequestEnable());
        assertEquals(VtdPasidEntry.FSPM_5_LEVEL, e.firstStagePagingMode());
        assertTrue(e.writeProtectEnable());
        assertEquals(0xC_D000L, e.firstStagePointer());
        assertFalse(e.reservedBitsSet());
    }

    @Test
    void pasidEntryReservedBits() {
        for (int[] qwordBit : new int[][] {{0, 10}, {0, 11}, {1, 16}, {1, 22}, {2, 8}, {2, 11}, {3, 0}, {7, 63}}) {
            long[] q = new long[8];
            q[qwordBit[0]] = 1L << qwordBit[1];
            assertTrue(new VtdPasidEntry(q).reservedBitsSet(), "qword " + qwordBit[0] + " bit " + qwordBit[1]);
        }
        long[] q = new long[8];
        q[1] = 1L << 23; // PWSNP is a field, not reserved
        assertFalse(new VtdPasidEntry(q).reservedBitsSet());
        assertThrows(IllegalArgumentException.class, () -> new VtdPasidEntry(new long[4]));
    }
}
