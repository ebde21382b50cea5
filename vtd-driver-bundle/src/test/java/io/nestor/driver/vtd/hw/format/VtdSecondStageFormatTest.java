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

import org.junit.jupiter.api.Test;

/** Hand-computed VT-d second-stage entries decoded and encoded by {@link VtdSecondStageFormat}. */
class VtdSecondStageFormatTest {

    private static final int EXEC = EXEC_PRIV | EXEC_USER;

    /** 48-bit, 46-bit output, 2 MiB and 1 GiB pages, SSADE, no execute control. */
    private final VtdSecondStageFormat ss = new VtdSecondStageFormat(48, 46, true, true, true, false);
    private final VtdSecondStageFormat noLarge = new VtdSecondStageFormat(48, 46, false, false, false, false);
    private final VtdSecondStageFormat execControl = new VtdSecondStageFormat(39, 52, true, false, true, true);

    @Test
    void widthToLevels() {
        assertEquals(3, VtdSecondStageFormat.levelsForWidth(39));
        assertEquals(4, VtdSecondStageFormat.levelsForWidth(48));
        assertEquals(5, VtdSecondStageFormat.levelsForWidth(57));
        assertThrows(IllegalArgumentException.class, () -> VtdSecondStageFormat.levelsForWidth(40));
        assertEquals(39, VtdSecondStageFormat.widthForAwField(1));
        assertEquals(48, VtdSecondStageFormat.widthForAwField(2));
        assertEquals(57, VtdSecondStageFormat.widthForAwField(3));
        assertThrows(IllegalArgumentException.class, () -> VtdSecondStageFormat.widthForAwField(0));
        assertThrows(IllegalArgumentException.class, () -> VtdSecondStageFormat.widthForAwField(4));
        assertEquals(3, execControl.levels());
        assertEquals("vtd-ss-3level", execControl.name());
        assertEquals(5, new VtdSecondStageFormat(57, 52, false, false, false, false).levels());
        assertEquals(39, ss.levelShift(3));
        assertThrows(IllegalArgumentException.class, () -> new VtdSecondStageFormat(48, 53, true, true, true, true));
    }

    @Test
    void tableEntryDecodes() {
        long pml4e = 0x0000_0001_2345_6003L; // R, W
        assertEquals(KIND_TABLE, ss.kind(pml4e, 3));
        assertEquals(0x1_2345_6000L, ss.tableAddress(pml4e, 3));
        assertEquals(ALL, ss.permissions(pml4e, 3));
    }

    @Test
    void presentMeansReadOrWrite() {
        assertEquals(KIND_INVALID, ss.kind(0x1004L, 0), "X alone is not present");
        assertEquals(KIND_INVALID, ss.kind(0x1000L, 0));
        assertEquals(KIND_LEAF, ss.kind(0x1002L, 0), "write-only is present");
        assertEquals(WRITE | PRIV | USER | EXEC, ss.permissions(0x1002L, 0));
        assertEquals(KIND_LEAF, ss.kind(0x1001L, 0));
        assertEquals(READ | PRIV | USER | EXEC, ss.permissions(0x1001L, 0));
    }

    @Test
    void executeBitOnlyCountsUnderExecuteControl() {
        assertEquals(READ | PRIV | USER, execControl.permissions(0x1001L, 0));
        assertEquals(READ | PRIV | USER | EXEC, execControl.permissions(0x1005L, 0));
        assertEquals(ss.permissions(0x1001L, 0), ss.permissions(0x1005L, 0));
    }

    @Test
    void largeLeavesFollowSllps() {
        long pde = 0x4020_0083L; // R, W, PS: 2 MiB
        long pdpe = 0xC000_0083L; // 1 GiB
        assertEquals(KIND_LEAF, ss.kind(pde, 1));
        assertEquals(0x4020_0000L, ss.leafAddress(pde, 1));
        assertEquals(KIND_LEAF, ss.kind(pdpe, 2));
        assertEquals(0xC000_0000L, ss.leafAddress(pdpe, 2));
        assertEquals(KIND_INVALID, noLarge.kind(pde, 1));
        assertEquals(KIND_INVALID, noLarge.kind(pdpe, 2));
        assertTrue(noLarge.reservedBitsSet(pdpe, 2));
        assertEquals(KIND_LEAF, execControl.kind(pde, 1));
        assertEquals(KIND_INVALID, execControl.kind(pdpe, 2), "2 MiB only");
        assertThrows(IllegalArgumentException.class, () -> execControl.encodeLeaf(0xC000_0000L, 2, ALL));
        assertThrows(IllegalArgumentException.class, () -> noLarge.encodeLeaf(0x4020_0000L, 1, ALL));
    }

    @Test
    void reservedBits() {
        assertEquals(KIND_INVALID, ss.kind(0x4020_1083L, 1), "bit 12 reserved in a 2 MiB leaf");
        assertEquals(KIND_INVALID, ss.kind(0xC010_0083L, 2), "bit 20 reserved in a 1 GiB leaf");
        assertEquals(KIND_INVALID, ss.kind(0x1000_0083L, 3), "PS in an SL-PML4E");
        assertEquals(KIND_INVALID, ss.kind(0x1000_0803L, 3), "SNP in an SL-PML4E");
        assertEquals(KIND_LEAF, ss.kind(0x1000_0803L, 0), "SNP in a leaf");
        assertEquals(KIND_INVALID, ss.kind(0x1000_0803L, 1), "SNP in a non-leaf PDE");
        assertEquals(KIND_LEAF, ss.kind(0x4020_0883L, 1), "SNP in a 2 MiB leaf");
        assertEquals(KIND_INVALID, ss.kind((1L << 62) | 0x1003L, 0), "TM");
        assertEquals(KIND_INVALID, ss.kind((1L << 46) | 0x1003L, 0), "above the output width");
        long ignored = (1L << 63) | (0x3FFL << 52) | 0x1003L;
        assertEquals(KIND_LEAF, ss.kind(ignored, 0), "bits 63 and 61:52 ignored");
        assertEquals(0x1000L, ss.leafAddress(ignored, 0));
        assertFalse(ss.reservedBitsSet(ignored, 0));
    }

    @Test
    void accessedDirtyOnlyWithSsade() {
        long d = 0x1303L; // R, W, A, D
        assertTrue(ss.accessed(d));
        assertTrue(ss.dirty(d));
        assertFalse(ss.accessed(0x1003L));
        assertEquals(0x1103L, ss.withAccessed(0x1003L));
        assertEquals(0x1203L, ss.withDirty(0x1003L));
        assertTrue(noLarge.accessed(0x1003L), "no A flag: reported as accessed");
        assertFalse(noLarge.dirty(d), "no D flag: never dirty");
        assertEquals(0x1003L, noLarge.withAccessed(0x1003L));
        assertEquals(0x1003L, noLarge.withDirty(0x1003L));
    }

    @Test
    void leafRoundTripAtEveryLeafLevel() {
        long[] addresses = {0x3_F00F_F000L, 0x3_FFE0_0000L, 0x3_C000_0000L};
        int[] requested = {READ, WRITE, READ | WRITE, READ | WRITE | EXEC, ALL};
        for (int level = 0; level <= 2; level++) {
            for (int p : requested) {
                long d = ss.encodeLeaf(addresses[level], level, p);
                assertEquals(KIND_LEAF, ss.kind(d, level));
                assertEquals(addresses[level], ss.leafAddress(d, level));
                assertEquals((p & (READ | WRITE)) | PRIV | USER | EXEC, ss.permissions(d, level));
                assertFalse(ss.dirty(d));
            }
        }
        for (int level = 0; level <= 1; level++) {
            long d = execControl.encodeLeaf(addresses[level], level, READ | EXEC);
            assertEquals(READ | PRIV | USER | EXEC, execControl.permissions(d, level));
            d = execControl.encodeLeaf(addresses[level], level, READ | EXEC_PRIV);
            assertEquals(READ | PRIV | USER, execControl.permissions(d, level), "X needs both EXEC bits");
        }
    }

    @Test
    void tableRoundTrip() {
        for (int level = 1; level < ss.levels(); level++) {
            long d = ss.encodeTable(0x2000_0000_1000L, level);
            assertEquals(KIND_TABLE, ss.kind(d, level));
            assertEquals(0x2000_0000_1000L, ss.tableAddress(d, level));
            assertEquals(ALL, ss.permissions(d, level));
        }
        assertEquals(ALL, execControl.permissions(execControl.encodeTable(0x1000L, 2), 2));
    }

    @Test
    void encodeRefusesNotPresentLeavesAndBadAddresses() {
        assertThrows(IllegalArgumentException.class, () -> ss.encodeLeaf(0x1000L, 0, EXEC | PRIV | USER));
        assertThrows(IllegalArgumentException.class, () -> ss.encodeLeaf(0x4010_0000L, 1, READ));
        assertThrows(IllegalArgumentException.class, () -> ss.encodeLeaf(1L << 46, 0, READ));
        assertThrows(IllegalArgumentException.class, () -> ss.encodeLeaf(0x1000L, 3, READ));
    }
}
