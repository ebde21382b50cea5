package io.nestor.core.walk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.testformat.TestPageTableFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * One thread maps, splits and unmaps while another walks: every walk must either translate to the
 * one address the range is ever mapped to or fault as not present; never a torn descriptor or a
 * half-built table (which would give another address, another fault or an exception).
 */
class ConcurrentWalkTest {
    private static final long M2 = 1L << 21;
    private static final long IOVA = 0x40_0000_0000L;
    private static final long PA = 0x7_0000_0000L;

    @Test
    void aWalkerRacingTheBuilderSeesOldOrNewNeverTorn() throws Exception {
        TestPageTableFormat f = TestPageTableFormat.granule4k();
        SparsePhysicalMemory mem = new SparsePhysicalMemory(48);
        PageAllocator alloc = new PageAllocator(mem, 0x4000_0000L, 0x100_0000L, 12);
        // Retired tables are freed only after the walker stops, as a caller would after invalidation:
        // a walker holding a stale pointer then reads the old (consistent) table, never a reused page.
        List<Long> retired = new ArrayList<>();
        PageTableBuilder b = new PageTableBuilder(f, alloc, -1L, retired::add);
        TranslationConfig c = new TranslationConfig(TranslationMode.STAGE2, null,
                new StageConfig(f, b.rootAddress(), false), 1, -1);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        int[] outcomes = new int[2];

        Thread walkerThread = new Thread(() -> {
            TranslationWalker walker = new TranslationWalker(mem);
            WalkResult r = new WalkResult();
            long i = 0;
            try {
                while (!done.get() || i < 10_000) {
                    long off = (i * 0x1_3579L) % (2 * M2) & ~7L;
                    i++;
                    if (walker.translate(c, IOVA + off, Access.READ, r)) {
                        outcomes[0]++;
                        if (r.outputAddress() != PA + off || (r.permissions() & Permission.READ) == 0) {
                            failure.compareAndSet(null, "0x" + Long.toHexString(off) + " -> " + r);
                        }
                    } else {
                        outcomes[1]++;
                        if (r.faultReason() != FaultReason.TRANSLATION) {
                            failure.compareAndSet(null, "0x" + Long.toHexString(off) + " -> " + r);
                        }
                    }
                }
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e.toString());
            }
        });
        walkerThread.start();
        try {
            for (int round = 0; round < 400; round++) {
                b.map(IOVA, PA, 2 * M2, Permission.READ | Permission.WRITE); // two 2 MiB blocks
                b.unmap(IOVA + M2 + 0x3000, 0x1000); // split one block under the walker
                b.unmap(IOVA, 2 * M2);
                b.map(IOVA, PA, 0x10_0000, Permission.READ); // 4 KiB pages, fresh tables published at once
                b.map(IOVA + M2 + 0x8000, PA + M2 + 0x8000, M2 - 0x8000, Permission.READ);
                b.unmap(IOVA, 2 * M2);
            }
        } finally {
            done.set(true);
            walkerThread.join();
        }
        assertNull(failure.get());
        assertEquals(1 + retired.size(), alloc.livePages());
        retired.forEach(alloc::free);
        assertTrue(outcomes[0] + outcomes[1] >= 10_000);
        assertEquals(1, alloc.livePages(), "every table freed again");
    }
}
