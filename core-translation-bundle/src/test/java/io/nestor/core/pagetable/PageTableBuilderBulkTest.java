package io.nestor.core.pagetable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.testformat.TestPageTableFormat;
import io.nestor.core.walk.TranslationWalker;
import io.nestor.core.walk.WalkResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The builder's bulk leaf path: runs longer than one 512-descriptor chunk, tables larger than a 4 KiB
 * memory page (64 KiB granule: one table spans 16 memory pages), an EEXIST found in a later chunk, and
 * a walker racing bulk maps into live and fresh tables.
 */
class PageTableBuilderBulkTest {
    private static final int RW = Permission.READ | Permission.WRITE;
    private static final long K64 = 1L << 16;
    private static final long M2 = 1L << 21;

    private final SparsePhysicalMemory mem = new SparsePhysicalMemory(48);
    private final TranslationWalker walker = new TranslationWalker(mem);
    private final WalkResult r = new WalkResult();

    private static TranslationConfig stage2(PageTableBuilder b) {
        return new TranslationConfig(TranslationMode.STAGE2, null, new StageConfig(b.format(), b.rootAddress(), false),
                1, -1);
    }

    private boolean translates(PageTableBuilder b, long iova, long expected) {
        if (!walker.translate(stage2(b), iova, Access.READ, r)) {
            assertEquals(FaultReason.TRANSLATION, r.faultReason(), r.toString());
            return false;
        }
        assertEquals(expected, r.outputAddress(), "iova 0x" + Long.toHexString(iova));
        return true;
    }

    @Test
    void a64KiBTableFilledInBulkAcrossMemoryPagesTranslatesEveryPage() {
        TestPageTableFormat f = TestPageTableFormat.granule64kConcatenated();
        PageAllocator alloc = new PageAllocator(mem, 0x4000_0000L, 0x100_0000L, 16);
        PageTableBuilder b = new PageTableBuilder(f, alloc, K64);
        long pa = 0x9_0000_0000L;
        b.map(3 * K64, pa, 3000 * K64, RW); // entries 3..3002 of one leaf table: 6 chunks, 6 memory pages
        assertFalse(translates(b, 2 * K64, 0));
        for (long p = 3; p < 3003; p++) {
            assertTrue(translates(b, p * K64 + 0x88, pa + (p - 3) * K64 + 0x88));
        }
        assertFalse(translates(b, 3003 * K64, 0));
        assertEquals(3000 * K64, b.unmap(0, 4000 * K64));
        assertEquals(2, alloc.livePages()); // only the two concatenated roots remain
    }

    @Test
    void anExistingMappingInALaterChunkUndoesTheEarlierChunksAndLeaksNothing() {
        TestPageTableFormat f = TestPageTableFormat.granule64kConcatenated();
        PageAllocator alloc = new PageAllocator(mem, 0x4000_0000L, 0x100_0000L, 16);
        PageTableBuilder b = new PageTableBuilder(f, alloc, K64);
        long pa = 0x9_0000_0000L;
        b.map(1000 * K64, pa + 1000 * K64, K64, RW);
        long live = alloc.livePages();
        IommuException e = assertThrows(IommuException.class, () -> b.map(0, pa, 2000 * K64, RW));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("0x" + Long.toHexString(1000 * K64)), e.getMessage());
        for (long p : new long[] {0, 511, 512, 513, 999, 1001, 1999}) {
            assertFalse(translates(b, p * K64, 0), "page " + p);
        }
        assertTrue(translates(b, 1000 * K64, pa + 1000 * K64));
        assertEquals(live, alloc.livePages());
        // The failed range maps cleanly around the existing page afterwards.
        b.map(0, pa, 1000 * K64, RW);
        b.map(1001 * K64, pa + 1001 * K64, 999 * K64, RW);
        for (long p = 0; p < 2000; p += 37) {
            assertTrue(translates(b, p * K64, pa + p * K64));
        }
    }

    @Test
    void aBulkRunIntoALiveTableChecksEveryEntryBeforeWriting() {
        TestPageTableFormat f = TestPageTableFormat.granule4k();
        PageAllocator alloc = new PageAllocator(mem, 0x4000_0000L, 0x100_0000L, 12);
        PageTableBuilder b = new PageTableBuilder(f, alloc, 1L << 12);
        long pa = 0x2_0000_0000L;
        b.map(M2 + 400 * 0x1000L, pa + 400 * 0x1000L, 0x1000, RW); // entry 400 of the leaf table of [2M, 4M)
        long live = alloc.livePages();
        IommuException e = assertThrows(IommuException.class, () -> b.map(M2, pa, M2, RW));
        assertEquals(Errno.EEXIST, e.errno());
        assertEquals(live, alloc.livePages());
        for (long p = 0; p < 512; p++) {
            assertEquals(p == 400, translates(b, M2 + p * 0x1000, pa + p * 0x1000), "page " + p);
        }
    }

    /**
     * A walker translating the whole range while the builder bulk-maps 4 KiB pages into a live leaf
     * table (kept alive by a pinned page) and into fresh tables, then unmaps: every walk gives the one
     * address a page is ever mapped to, or a translation fault.
     */
    @Test
    void aWalkerRacingBulkMapsSeesWholeDescriptorsOnly() throws Exception {
        TestPageTableFormat f = TestPageTableFormat.granule4k();
        PageAllocator alloc = new PageAllocator(mem, 0x4000_0000L, 0x400_0000L, 12);
        List<Long> retired = new ArrayList<>();
        PageTableBuilder b = new PageTableBuilder(f, alloc, 1L << 12, retired::add);
        long iova = 0x40_0000_0000L;
        long pa = 0x7_0000_0000L;
        long span = 4 * M2;
        b.map(iova + M2 - 0x1000, pa + M2 - 0x1000, 0x1000, RW); // the pin
        TranslationConfig c = stage2(b);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        long[] hits = new long[1];
        Thread walkerThread = new Thread(() -> {
            TranslationWalker w = new TranslationWalker(mem);
            WalkResult wr = new WalkResult();
            long i = 0;
            try {
                while (!done.get() || i < 10_000) {
                    long off = (i++ * 0x2_3457L) % span & ~7L;
                    if (w.translate(c, iova + off, Access.READ, wr)) {
                        hits[0]++;
                        if (wr.outputAddress() != pa + off) {
                            failure.compareAndSet(null, "0x" + Long.toHexString(off) + " -> " + wr);
                        }
                    } else if (wr.faultReason() != FaultReason.TRANSLATION) {
                        failure.compareAndSet(null, "0x" + Long.toHexString(off) + " -> " + wr);
                    }
                }
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e.toString());
            }
        });
        walkerThread.start();
        try {
            for (int round = 0; round < 300; round++) {
                b.map(iova, pa, M2 - 0x1000, RW); // 511 leaves into the live, pinned table
                b.map(iova + M2, pa + M2, span - M2, RW); // 1536 leaves in three fresh tables
                b.unmap(iova, M2 - 0x1000);
                b.unmap(iova + M2, span - M2);
            }
        } finally {
            done.set(true);
            walkerThread.join(60_000);
        }
        assertNull(failure.get());
        assertTrue(hits[0] > 0, "the walker never saw a mapping");
        retired.forEach(alloc::free);
        retired.clear();
        assertEquals(0x1000, b.destroy());
        retired.forEach(alloc::free); // destroy retires the remaining tables too
        assertEquals(0, alloc.livePages());
    }
}
