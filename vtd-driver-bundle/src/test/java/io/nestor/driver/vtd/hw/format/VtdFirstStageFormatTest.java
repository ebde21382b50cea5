package io.nestor.driver.vtd.hw.format;

import static io.nestor.api.pagetable.PageTableFormat.KIND_INVALID;
import static io.nestor.api.pagetable.PageTableFormat.KIND_LEAF;
import static io.nestor.api.pagetable.PageTableFormat.KIND_TABLE;
import static io.nestor.api.pagetable.Permission.ALL;
import static io.nestor.api.pagetable.Permission.EXEC_PRIV;
import static io.nestor.api.pagetable.Permission.EXEC_USER;
import static io.nestor.api.pagetable.Permission.PRIV;
import static io.nestor.api.pagetable.Permission.READ;
import static io.nestor.api.pagetable.Permission.USER;
import static io.nestor.api.pagetable.Permission.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import org.junit.jupiter.api.Test;

/** Hand-computed x86-64 IA-32e entries decoded and encoded by {@link VtdFirstStageFormat}. */
class VtdFirstStageFormatTest {

    /** 4-level, 46-bit output, FL1GP, WPE=1. */
    private final VtdFirstStageFormat fs4 = new VtdFirstStageFormat(false, 46, true, true);
    private final VtdFirstStageFormat fs5 = new VtdFirstStageFormat(true, 52, true, true);
    private final VtdFirstStageFormat no1g = new VtdFirstStageFormat(false, 46, false, true);
    private final VtdFirstStageFormat wpeOff = new VtdFirstStageFormat(false, 46, true, false);

    @Test
    void geometryOfFourAndFiveLevels() {
        assertEquals(4, fs4.levels());
        assertEquals(48, fs4.inputAddressBits());
        assertEquals(46, fs4.outputAddressBits());
        assertEquals(39, fs4.levelShift(3));
        assertEquals("vtd-fs-4level", fs4.name());
        assertEquals(5, fs5.levels());
        assertEquals(57, fs5.inputAddressBits());
        assertEquals(48, fs5.levelShift(4));
        assertEquals(21, fs5.levelShift(1));
        assertEquals(9, fs5.indexBits(4));
        assertEquals(1, fs5.rootTableCount());
        assertThrows(IllegalArgumentException.class, () -> new VtdFirstStageFormat(false, 53, true, true));
        assertThrows(IllegalArgumentException.class, () -> new VtdFirstStageFormat(false, 12, true, true));
    }

    @Test
    void pml4TableEntryDecodes() {
        long pml4e = 0x0000_0001_2345_6027L; // P, R/W, U/S, A; table at 0x1_2345_6000
        assertEquals(KIND_TABLE, fs4.kind(pml4e, 3));
        assertEquals(0x1_2345_6000L, fs4.tableAddress(pml4e, 3));
        assertEquals(ALL, fs4.permissions(pml4e, 3));
        assertTrue(fs4.accessed(pml4e));
    }

    @Test
    void twoMegLeafReadOnlyUserNoExecuteDirty() {
        long pde = 0x8000_0000_4020_00E5L; // XD, PS, D, A, U/S, P; R/W=0
        assertEquals(KIND_LEAF, fs4.kind(pde, 1));
        assertEquals(0x4020_0000L, fs4.leafAddress(pde, 1));
        assertEquals(READ | PRIV | USER, fs4.permissions(pde, 1));
        assertTrue(fs4.accessed(pde));
        assertTrue(fs4.dirty(pde));
    }

    @Test
    void fourKiBSupervisorPageWithPatBit() {
        long pte = 0x0000_0000_0ABC_D083L; // P, R/W, PAT (bit 7 in a PTE); U/S=0, XD=0
        assertEquals(KIND_LEAF, fs4.kind(pte, 0));
        assertFalse(fs4.reservedBitsSet(pte, 0));
        assertEquals(0x0ABC_D000L, fs4.leafAddress(pte, 0));
        assertEquals(READ | WRITE | PRIV | EXEC_PRIV, fs4.permissions(pte, 0));
        assertFalse(fs4.accessed(pte));
        assertFalse(fs4.dirty(pte));
    }

    @Test
    void oneGigLeafNeedsFl1gp() {
        long pdpte = 0x0000_0000_C000_0087L; // P, R/W, U/S, PS at 1 GiB
        assertEquals(KIND_LEAF, fs4.kind(pdpte, 2));
        assertEquals(0xC000_0000L, fs4.leafAddress(pdpte, 2));
        assertEquals(KIND_INVALID, no1g.kind(pdpte, 2));
        assertTrue(no1g.reservedBitsSet(pdpte, 2));
        assertFalse(no1g.leafAllowed(2));
        assertThrows(IllegalArgumentException.class, () -> no1g.encodeLeaf(0xC000_0000L, 2, ALL));
    }

    @Test
    void largeLeafAlignmentBitsAreReservedButPatIsNot() {
        assertEquals(KIND_LEAF, fs4.kind(0xC000_1087L, 2), "bit 12 is PAT in a 1 GiB leaf");
        assertEquals(0xC000_0000L, fs4.leafAddress(0xC000_1087L, 2));
        assertEquals(KIND_INVALID, fs4.kind(0xC000_2087L, 2), "bit 13 reserved in a 1 GiB leaf");
        assertEquals(KIND_INVALID, fs4.kind(0x2000_0087L, 2), "bit 29 reserved in a 1 GiB leaf");
        assertEquals(KIND_LEAF, fs4.kind(0x4020_1087L, 1), "bit 12 is PAT in a 2 MiB leaf");
        assertEquals(KIND_INVALID, fs4.kind(0x4010_0087L, 1), "bit 20 reserved in a 2 MiB leaf");
        assertTrue(fs4.reservedBitsSet(0x4010_0087L, 1));
    }

    @Test
    void psInPml4AndPml5IsReserved() {
        assertEquals(KIND_INVALID, fs4.kind(0x1000_0087L, 3));
        assertEquals(KIND_INVALID, fs5.kind(0x1000_0087L, 4));
        assertEquals(KIND_TABLE, fs5.kind(0x1000_0007L, 4));
    }

    @Test
    void addressBitsAboveOutputWidthAreReservedAndIgnoredBitsAreIgnored() {
        long above = (1L << 46) | 0x1003L;
        assertEquals(KIND_INVALID, fs4.kind(above, 0));
        assertTrue(fs4.reservedBitsSet(above, 0));
        assertEquals(KIND_LEAF, fs5.kind(above, 0), "bit 46 is an address bit with a 52-bit output");
        assertEquals(1L << 46 | 0x1000L, fs5.leafAddress(above, 0));
        long ignored = (0x7FFL << 52) | 0x1003L; // bits 62:52 ignored
        assertEquals(KIND_LEAF, fs4.kind(ignored, 0));
        assertEquals(0x1000L, fs4.leafAddress(ignored, 0));
    }

    @Test
    void notPresentAtEveryLevel() {
        for (int level = 0; level < 5; level++) {
            assertEquals(KIND_INVALID, fs5.kind(0x0000_0001_2345_60E6L, level), "level " + level);
        }
    }

    @Test
    void executeDisableOnATableRemovesExecution() {
        long pml4e = 0x8000_0000_0000_1003L; // XD, R/W, P; U/S=0
        assertEquals(KIND_TABLE, fs4.kind(pml4e, 3));
        assertEquals(READ | WRITE | PRIV, fs4.permissions(pml4e, 3));
        // Intersected with a fully permissive leaf, nothing executes and users are shut out.
        assertEquals(READ | WRITE | PRIV, fs4.permissions(pml4e, 3) & fs4.permissions(0x1007L, 0));
    }

    @Test
    void writeProtectDisabledLetsSupervisorOnlyReadOnlyEntriesGrantWrite() {
        long supervisorReadOnly = 0x1001L; // P only
        long userReadOnly = 0x1005L; // P, U/S
        assertEquals(READ | PRIV | EXEC_PRIV, fs4.permissions(supervisorReadOnly, 0));
        assertEquals(READ | WRITE | PRIV | EXEC_PRIV, wpeOff.permissions(supervisorReadOnly, 0));
        assertEquals(READ | PRIV | USER | EXEC_PRIV | EXEC_USER, wpeOff.permissions(userReadOnly, 0));
    }

    @Test
    void canonicalCheckFourLevel() {
        assertTrue(fs4.inputAddressValid(0L));
        assertTrue(fs4.inputAddressValid(0x0000_7FFF_FFFF_FFFFL));
        assertFalse(fs4.inputAddressValid(0x0000_8000_0000_0000L));
        assertTrue(fs4.inputAddressValid(0xFFFF_8000_0000_0000L));
        assertFalse(fs4.inputAddressValid(0xFFFF_7FFF_FFFF_FFFFL));
        assertTrue(fs4.inputAddressValid(-1L));
        assertFalse(fs4.inputAddressValid(0x8000_0000_0000_0000L));
        assertFalse(fs4.inputAddressValid(0x0001_0000_0000_0000L));
    }

    @Test
    void canonicalCheckFiveLevel() {
        assertTrue(fs5.inputAddressValid(0x0000_8000_0000_0000L));
        assertTrue(fs5.inputAddressValid(0x00FF_FFFF_FFFF_FFFFL));
        assertFalse(fs5.inputAddressValid(0x0100_0000_0000_0000L));
        assertTrue(fs5.inputAddressValid(0xFF00_0000_0000_0000L));
        assertFalse(fs5.inputAddressValid(0xFEFF_FFFF_FFFF_FFFFL));
        assertFalse(fs5.inputAddressValid(0x7F00_0000_0000_0000L));
    }

    @Test
    void accessedAndDirtySetTheirBits() {
        long pte = 0x1003L;
        assertEquals(0x1023L, fs4.withAccessed(pte));
        assertEquals(0x1043L, fs4.withDirty(pte));
        assertTrue(fs4.accessed(fs4.withAccessed(pte)));
        assertTrue(fs4.dirty(fs4.withDirty(pte)));
        assertFalse(fs4.dirty(fs4.withAccessed(pte)));
    }

    @Test
    void tableRoundTripAtEveryNonLeafLevel() {
        for (int level = 1; level < fs5.levels(); level++) {
            long d = fs5.encodeTable(0x000F_FFFF_FFFF_F000L, level);
            assertEquals(KIND_TABLE, fs5.kind(d, level));
            assertEquals(0x000F_FFFF_FFFF_F000L, fs5.tableAddress(d, level));
            assertEquals(ALL, fs5.permissions(d, level));
        }
        assertThrows(IllegalArgumentException.class, () -> fs4.encodeTable(1L << 46, 1));
        assertThrows(IllegalArgumentException.class, () -> fs4.encodeTable(0x1800L, 1));
    }

    @Test
    void leafRoundTripAtEveryLeafLevel() {
        long[] addresses = {0x3_F00F_F000L, 0x3_FFE0_0000L, 0x3_C000_0000L};
        int[][] cases = {
            {ALL, ALL},
            {READ | PRIV, READ | PRIV},
            {READ | WRITE | PRIV | USER, READ | WRITE | PRIV | USER},
            {READ | PRIV | EXEC_PRIV, READ | PRIV | EXEC_PRIV},
            {READ | WRITE | PRIV | USER | EXEC_PRIV, READ | WRITE | PRIV | USER}, // EXEC_USER missing: XD
            {WRITE | USER, READ | WRITE | PRIV | USER}, // a present entry always reads, for PRIV too
        };
        for (int level = 0; level <= 2; level++) {
            for (int[] c : cases) {
                long d = fs4.encodeLeaf(addresses[level], level, c[0]);
                assertEquals(KIND_LEAF, fs4.kind(d, level), "level " + level);
                assertEquals(addresses[level], fs4.leafAddress(d, level));
                assertEquals(c[1], fs4.permissions(d, level),
                        "level " + level + " " + Permission.toString(c[0]));
            }
        }
    }

    @Test
    void encodeNeverWidensBeyondReadAndPrivWithWriteProtect() {
        for (int requested = 0; requested <= ALL; requested++) {
            int granted = fs4.permissions(fs4.encodeLeaf(0x1000L, 0, requested), 0);
            assertEquals(0, granted & ~(requested | READ | PRIV), Permission.toString(requested));
        }
    }

    @Test
    void encodeRefusesBadLevelsAndAddresses() {
        assertThrows(IllegalArgumentException.class, () -> fs4.encodeLeaf(0x4000_0000L, 3, ALL));
        assertThrows(IllegalArgumentException.class, () -> fs4.encodeLeaf(0x4010_0000L, 1, ALL));
        assertThrows(IllegalArgumentException.class, () -> fs4.encodeLeaf(1L << 46, 0, ALL));
        assertThrows(IllegalArgumentException.class, () -> fs4.encodeLeaf(0x1000L, -1, ALL));
    }

    @Test
    void executeUserNeedsUserAccess() {
        long d = fs4.encodeLeaf(0x1000L, 0, READ | PRIV | EXEC_USER | EXEC_PRIV);
        assertEquals(READ | PRIV | EXEC_PRIV, fs4.permissions(d, 0));
    }
}
