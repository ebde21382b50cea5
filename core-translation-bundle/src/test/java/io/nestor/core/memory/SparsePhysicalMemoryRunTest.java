package io.nestor.core.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bulk word paths of {@link SparsePhysicalMemory}: write64Run, read64Run and zero. */
class SparsePhysicalMemoryRunTest {
    private final SparsePhysicalMemory mem = new SparsePhysicalMemory(48);

    @TempDir
    Path dir;

    private static long[] pattern(int n, long seed) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = seed * 0x9E37_79B9_7F4A_7C15L + i * 0x1_0000_0001L + 1;
        }
        return v;
    }

    @Test
    void aRunAcrossPagesReadsBackWordByWordAndInBulk() {
        long[] values = pattern(1200, 7); // from 0x1FF0: pages 0x1000, 0x2000, 0x3000 (last partly)
        mem.write64Run(0x1FF0, values, 0, values.length);
        for (int i = 0; i < values.length; i++) {
            assertEquals(values[i], mem.read64(0x1FF0 + 8L * i), "word " + i);
        }
        assertEquals(0, mem.read64(0x1FE8));
        assertEquals(0, mem.read64(0x1FF0 + 8L * values.length));
        assertEquals(4, mem.backedPageCount());
        long[] back = new long[values.length + 4];
        back[0] = -1;
        mem.read64Run(0x1FF0 - 16, back, 1, values.length + 3); // includes 2 words before and 1 after
        assertEquals(-1, back[0]);
        assertEquals(0, back[1]);
        assertEquals(0, back[2]);
        for (int i = 0; i < values.length; i++) {
            assertEquals(values[i], back[3 + i]);
        }
        assertEquals(0, back[values.length + 3]);
    }

    @Test
    void readingUnbackedPagesInBulkGivesZeroAndAllocatesNothing() {
        long[] dst = pattern(600, 3);
        mem.read64Run(0x10_0000, dst, 0, dst.length);
        assertArrayEquals(new long[600], dst);
        assertEquals(0, mem.backedPageCount());
    }

    @Test
    void zeroRunsAndZeroingStaySparseAndZeroingClearsOnlyTheRange() {
        mem.write64Run(0x5000, new long[1024], 0, 1024); // two pages of zeroes
        assertEquals(0, mem.backedPageCount());
        mem.zero(0x9000, 0x3000);
        assertEquals(0, mem.backedPageCount());

        long[] values = pattern(1024, 11); // 0x20000..0x22000
        mem.write64Run(0x2_0000, values, 0, values.length);
        mem.zero(0x2_0008, 0x1000); // the second word of page 0x20000 up to the first word of 0x21000
        assertEquals(values[0], mem.read64(0x2_0000));
        for (long a = 0x2_0008; a < 0x2_1008; a += 8) {
            assertEquals(0, mem.read64(a), Long.toHexString(a));
        }
        assertEquals(values[513], mem.read64(0x2_1008));
        assertEquals(values[1023], mem.read64(0x2_1FF8));
        assertEquals(2, mem.backedPageCount());
    }

    @Test
    void badRunsAreRejectedBeforeAnyStore() {
        long[] values = pattern(16, 5);
        IommuException unaligned = assertThrows(IommuException.class, () -> mem.write64Run(0x1004, values, 0, 4));
        assertEquals(Errno.EINVAL, unaligned.errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> mem.zero(0x1000, 12)).errno());
        // The run would end past the 48-bit limit: nothing at all is written, not even its head.
        long nearEnd = (1L << 48) - 8 * 8;
        IommuException beyond = assertThrows(IommuException.class, () -> mem.write64Run(nearEnd, values, 0, 16));
        assertEquals(Errno.EFAULT, beyond.errno());
        assertEquals(0, mem.read64(nearEnd));
        assertEquals(0, mem.backedPageCount());
        assertThrows(IndexOutOfBoundsException.class, () -> mem.write64Run(0x1000, values, 10, 7));
    }

    @Test
    void runsOverAFileRegionGoToTheRegionAndKeepAnonymousMemorySparse() {
        long base = 0x100_0000;
        mem.addFileRegion(base, dir.resolve("region.img"), 0, 0x2000);
        long[] values = pattern(1536, 13); // 0x1000 below the region, then both of its pages
        mem.write64Run(base - 0x1000, values, 0, values.length);
        assertEquals(1, mem.backedPageCount()); // only the page below the region is anonymous
        assertEquals(values[512], mem.read64(base));
        assertEquals(values[1535], mem.read64(base + 0x1FF8));
        long[] back = new long[values.length];
        mem.read64Run(base - 0x1000, back, 0, back.length);
        assertArrayEquals(values, back);
        mem.zero(base, 0x2000);
        assertEquals(0, mem.read64(base + 0x800));
        assertEquals(values[0], mem.read64(base - 0x1000));
    }

    /**
     * A writer republishes a run of words and then, with one more release store, its generation; a
     * reader that sees generation g must see every word of the run from generation g or later, each
     * whole (both halves of a word carry the generation).
     */
    @Test
    void aReaderNeverSeesATornOrStaleWordOfAPublishedRun() throws Exception {
        int words = 700; // spans two memory pages
        long runAt = 0x3_0FF0;
        long flag = 0x5_0000;
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            long[] seen = new long[words];
            int checks = 0;
            while (!done.get() || checks < 1000) {
                long g = mem.read64(flag);
                mem.read64Run(runAt, seen, 0, words);
                for (int i = 0; i < words; i++) {
                    long hi = seen[i] >>> 32;
                    long lo = seen[i] & 0xFFFF_FFFFL;
                    if (hi != lo || hi < g) {
                        failure.compareAndSet(null, "word " + i + " = 0x" + Long.toHexString(seen[i])
                                + " after generation " + g);
                    }
                }
                checks++;
            }
        });
        reader.start();
        long[] run = new long[words];
        for (long g = 1; g <= 3000; g++) {
            for (int i = 0; i < words; i++) {
                run[i] = g << 32 | g;
            }
            mem.write64Run(runAt, run, 0, words);
            mem.write64(flag, g);
        }
        done.set(true);
        reader.join(60_000);
        assertNull(failure.get());
    }
}
