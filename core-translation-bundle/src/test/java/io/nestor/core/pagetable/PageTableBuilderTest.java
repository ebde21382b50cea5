package io.nestor.core.pagetable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.testformat.TestPageTableFormat;
import io.nestor.core.walk.TranslationWalker;
import io.nestor.core.walk.WalkResult;
import org.junit.jupiter.api.Test;

class PageTableBuilderTest {
    private static final long M2 = 1L << 21;
    private static final long G1 = 1L << 30;
    private static final int RW = Permission.READ | Permission.WRITE;

    private final TestPageTableFormat f4k = TestPageTableFormat.granule4k();
    private final SparsePhysicalMemory mem = new SparsePhysicalMemory(48);
    private final PageAllocator alloc = new PageAllocator(mem, 0x4000_0000L, 0x100_0000L, 12);
    private final TranslationWalker walker = new TranslationWalker(mem);
    private final WalkResult r = new WalkResult();

    private TranslationConfig stage2(PageTableBuilder b) {
        return new TranslationConfig(TranslationMode.STAGE2, null, new StageConfig(b.format(), b.rootAddress(), false),
                1, -1);
    }

    private int leafShift(PageTableBuilder b, long iova) {
        assertTrue(walker.translate(stage2(b), iova, Access.READ, r), r.toString());
        return r.pageShift();
    }

    @Test
    void mapsWithTheLargestLeafTheAlignmentAllows() {
        PageTableBuilder b = new PageTableBuilder(f4k, alloc);
        // 1 GiB-aligned iova but only 2 MiB-aligned pa: 2 MiB leaves
        b.map(G1, 3 * M2, G1, RW);
        assertEquals(21, leafShift(b, G1 + 5 * M2 + 17));
        assertEquals(3 * M2 + 5 * M2 + 17, r.outputAddress());
        // both 1 GiB aligned: one 1 GiB leaf
        b.map(4 * G1, 8 * G1, G1, RW);
        assertEquals(30, leafShift(b, 4 * G1 + 12345));
        // unaligned head and tail: 4K, then 2M, then 4K
        b.map(8 * G1 + M2 - 0x2000, 0x10_0000_0000L + M2 - 0x2000, M2 + 0x3000, RW);
        assertEquals(12, leafShift(b, 8 * G1 + M2 - 0x1000));
        assertEquals(21, leafShift(b, 8 * G1 + M2 + 0x1000));
        assertEquals(12, leafShift(b, 8 * G1 + 2 * M2));
        assertEquals(0x10_0000_0000L + 2 * M2 + 0x10, r.outputAddress() + 0x10);
    }

    @Test
    void callerPageSizesLimitTheLeaves() {
        PageTableBuilder b = new PageTableBuilder(f4k, alloc, (1L << 12) | (1L << 21));
        assertEquals((1L << 12) | (1L << 21), b.pageSizes());
        b.map(4 * G1, 8 * G1, G1, RW);
        assertEquals(21, leafShift(b, 4 * G1));
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> new PageTableBuilder(f4k, alloc, 1L << 21)).errno());
    }

    @Test
    void partialUnmapSplitsABlockAndKeepsTheRest() {
        PageTableBuilder b = new PageTableBuilder(f4k, alloc);
        b.map(G1, 2 * G1, G1, Permission.READ);
        long tables = alloc.livePages();
        assertEquals(0x1000, b.unmap(G1 + M2 + 0x5000, 0x1000));
        assertEquals(tables + 2, alloc.livePages(), "1G -> 2M table -> 4K table");
        assertFalse(walker.translate(stage2(b), G1 + M2 + 0x5000, Access.READ, r));
        assertEquals(12, leafShift(b, G1 + M2 + 0x4FFF));
        assertEquals(2 * G1 + M2 + 0x4FFF, r.outputAddress());
        assertEquals(Permission.READ, r.permissions() & RW, "split leaves keep the block's permissions");
        assertEquals(21, leafShift(b, G1 + 7 * M2));
        assertEquals(2 * G1 + 7 * M2, r.outputAddress());
        // unmapping the rest of the range frees both split tables
        assertEquals(G1 - 0x1000, b.unmap(G1, G1));
        assertEquals(1, alloc.livePages());
        assertEquals(0, b.unmap(G1, G1), "nothing left to unmap");
    }

    @Test
    void unmapFreesTablesThatBecomeEmptyAndReturnsMappedBytesOnly() {
        PageTableBuilder b = new PageTableBuilder(f4k, alloc);
        b.map(0x40_0000, 0x80_0000, 0x3000, RW);
        b.map(0x40_5000, 0x90_0000, 0x1000, RW);
        assertEquals(4, alloc.livePages());
        assertEquals(0x2000, b.unmap(0x40_1000, 0x4000)); // [0x401000, 0x405000) holds two mapped pages
        assertEquals(4, alloc.livePages(), "the leaf table still holds two pages");
        assertEquals(0x2000, b.unmap(0x40_0000, M2));
        assertEquals(1, alloc.livePages());
    }

    @Test
    void aConflictingMapChangesNothing() {
        PageTableBuilder b = new PageTableBuilder(f4k, alloc);
        b.map(M2 + 0x10_0000, 0x5000_0000L, 0x1000, RW);
        long live = alloc.livePages();
        IommuException e = assertThrows(IommuException.class, () -> b.map(0, 0x6000_0000L, 2 * M2, RW));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("0x200000"), e.getMessage()); // the 2M leaf that meets the table
        assertEquals(live, alloc.livePages());
        assertFalse(walker.translate(stage2(b), 0x1000, Access.READ, r), "the part mapped before the conflict is undone");
        assertTrue(walker.translate(stage2(b), M2 + 0x10_0000, Access.READ, r));
        assertEquals(0x5000_0000L, r.outputAddress());
        // a block over an existing table, and a page under an existing block
        assertEquals(Errno.EEXIST, assertThrows(IommuException.class, () -> b.map(0, 0, G1, RW)).errno());
        b.map(G1, G1, G1, RW);
        assertEquals(Errno.EEXIST, assertThrows(IommuException.class, () -> b.map(G1 + 0x1000, 0, 0x1000, RW)).errno());
        assertEquals(live, alloc.livePages());
    }

    @Test
    void runningOutOfTablesUndoesTheWholeMap() {
        PageAllocator small = new PageAllocator(mem, 0x7000_0000L, 6 * 0x1000L, 12);
        PageTableBuilder b = new PageTableBuilder(f4k, small);
        b.map(0, 0x1000_0000L, 0x1000, RW); // root + 3 tables
        assertEquals(4, small.livePages());
        // needs two more leaf tables (two 2M ranges) plus a level-2 table for the second GiB: 3 > 2 left
        IommuException e = assertThrows(IommuException.class, () -> b.map(G1 - 0x1000, 0x2000_0000L, 0x2000, RW));
        assertEquals(Errno.ENOMEM, e.errno());
        assertEquals(4, small.livePages());
        assertFalse(walker.translate(stage2(b), G1 - 0x1000, Access.READ, r));
        assertTrue(walker.translate(stage2(b), 0, Access.READ, r));
    }

    @Test
    void invalidArgumentsAreRejectedWithTheirValues() {
        PageTableBuilder b = new PageTableBuilder(f4k, alloc);
        IommuException e = assertThrows(IommuException.class, () -> b.map(0x1800, 0, 0x1000, RW));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("0x1800"));
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> b.map(0, 0, 0, RW)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> b.map(0, 0, 0x1000, Permission.EXEC_PRIV)).errno());
        assertEquals(Errno.ERANGE, assertThrows(IommuException.class,
                () -> b.map(1L << 48, 0, 0x1000, RW)).errno());
        assertEquals(Errno.ERANGE, assertThrows(IommuException.class,
                () -> b.map((1L << 48) - 0x1000, 0, 0x2000, RW)).errno());
        assertEquals(Errno.ERANGE, assertThrows(IommuException.class,
                () -> b.map(0, (1L << 48) - 0x1000, 0x2000, RW)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> b.unmap(0, 0x800)).errno());
        assertEquals(1, alloc.livePages());
        PageAllocator other = new PageAllocator(mem, 0x7000_0000L, 0x10_0000, 14);
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> new PageTableBuilder(f4k, other)).errno());
        b.destroy();
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> b.unmap(0, 0x1000)).errno());
    }

    @Test
    void bulkMappingOfManySmallPagesWritesEveryLeaf() {
        PageTableBuilder b = new PageTableBuilder(f4k, alloc, 1L << 12);
        long size = 8 * M2 + 0x7000;
        b.map(0x1000, 0x20_0000_0000L + 0x1000, size, RW);
        assertEquals(1 + 1 + 1 + 9, alloc.livePages(), "root, L2, L1 and nine leaf tables (2M slots 0..8)");
        for (long off = 0; off < size; off += 0x1000 * 97) {
            assertTrue(walker.translate(stage2(b), 0x1000 + off, Access.WRITE, r));
            assertEquals(0x20_0000_0000L + 0x1000 + off, r.outputAddress());
        }
        assertEquals(size, b.destroy());
        assertEquals(0, alloc.livePages());
    }
}
