package io.nestor.core.pagetable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.PageTableFormat;
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
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based test of the builder and the walker together: random maps and unmaps for every leaf
 * size of a format, checked against a plain interval map after every step, then a leak check.
 */
class PageTableBuilderModelTest {
    private static final int[] PERMS = {Permission.READ, Permission.READ | Permission.WRITE,
            Permission.READ | Permission.EXEC_PRIV | Permission.EXEC_USER, Permission.ALL};

    /** The reference: start -> {end, pa, perms} of non-overlapping mapped intervals. */
    private final TreeMap<Long, long[]> model = new TreeMap<>();

    static Stream<Arguments> formatsAndPageSizes() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (TestPageTableFormat f : new TestPageTableFormat[] {TestPageTableFormat.granule16k(),
                TestPageTableFormat.granule4k(), TestPageTableFormat.granule64kConcatenated()}) {
            for (int level = 0; level < f.levels(); level++) {
                if (f.leafAllowed(level)) {
                    b.add(Arguments.of(f, level));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} leaves at level {1}")
    @MethodSource("formatsAndPageSizes")
    void randomMapUnmapMatchesTheReference(TestPageTableFormat format, int leafLevel) {
        SparsePhysicalMemory mem = new SparsePhysicalMemory(48);
        PageAllocator alloc = new PageAllocator(mem, 0x4000_0000L, 0x1000_0000L, format.granuleShift());
        PageTableBuilder builder = new PageTableBuilder(format, alloc);
        TranslationWalker walker = new TranslationWalker(mem);
        TranslationConfig config = new TranslationConfig(TranslationMode.STAGE2, null,
                new StageConfig(format, builder.rootAddress(), false), 1, -1);
        WalkResult r = new WalkResult();

        long page = 1L << format.levelShift(leafLevel);
        long granule = 1L << format.granuleShift();
        long window = 8 * page;
        // straddle the middle of the root table (and the boundary between concatenated roots)
        long windowBase = (1L << (format.inputAddressBits() - 1)) - window / 2;
        Random rnd = new Random(31L * leafLevel + format.granuleShift());
        int iterations = leafLevel == 0 ? 300 : 120;
        for (int it = 0; it < iterations; it++) {
            if (rnd.nextInt(3) > 0) {
                long iova = windowBase + page * rnd.nextInt(7);
                long size = page * (1 + rnd.nextInt(2));
                long pa = page * (1 + rnd.nextInt(64)) + (rnd.nextBoolean() ? 0 : 0x1_0000_0000L);
                int perms = PERMS[rnd.nextInt(PERMS.length)];
                if (overlaps(iova, size)) {
                    long live = alloc.livePages();
                    IommuException e = assertThrows(IommuException.class, () -> builder.map(iova, pa, size, perms));
                    assertEquals(Errno.EEXIST, e.errno());
                    assertEquals(live, alloc.livePages(), "a failed map must not leak tables");
                } else {
                    builder.map(iova, pa, size, perms);
                    model.put(iova, new long[] {iova + size, pa, perms});
                    // a page-aligned map uses the page's own leaf size
                    assertTrue(walker.translate(config, iova, Access.READ, r), r.toString());
                    assertEquals(format.levelShift(leafLevel), r.pageShift());
                }
            } else {
                long iova = windowBase + granule * rnd.nextInt((int) (window / granule));
                long size = granule * (1 + rnd.nextInt((int) Math.min(3 * page / granule, 1 << 14)));
                long expected = modelUnmap(iova, size);
                assertEquals(expected, builder.unmap(iova, size), "unmap 0x" + Long.toHexString(iova));
            }
            checkAgainstModel(walker, config, r, rnd, windowBase, window, granule);
        }
        long remaining = modelUnmap(windowBase, window);
        assertEquals(remaining, builder.unmap(windowBase, window));
        assertEquals(format.rootTableCount(), alloc.livePages(), "only the root may remain after unmapping all");
        assertEquals(0, builder.destroy());
        assertEquals(0, alloc.livePages());
    }

    private void checkAgainstModel(TranslationWalker walker, TranslationConfig config, WalkResult r, Random rnd,
            long windowBase, long window, long granule) {
        for (int i = 0; i < 40; i++) {
            long iova = i < 8 && !model.isEmpty()
                    ? pickEdge(rnd) : windowBase + (rnd.nextLong() & Long.MAX_VALUE) % window;
            Map.Entry<Long, long[]> e = model.floorEntry(iova);
            boolean mapped = e != null && iova < e.getValue()[0];
            boolean ok = walker.translate(config, iova, Access.READ, r);
            assertEquals(mapped, ok, () -> "iova 0x" + Long.toHexString(iova) + ": " + r);
            if (mapped) {
                long[] v = e.getValue();
                assertEquals(v[1] + (iova - e.getKey()), r.outputAddress(), () -> "iova 0x" + Long.toHexString(iova));
                int expect = (int) v[2] | Permission.PRIV | Permission.USER;
                assertEquals(Permission.toString(expect), Permission.toString(r.permissions()));
            } else {
                assertEquals(FaultReason.TRANSLATION, r.faultReason());
            }
        }
    }

    private long pickEdge(Random rnd) {
        Long[] keys = model.keySet().toArray(new Long[0]);
        long[] v = model.get(keys[rnd.nextInt(keys.length)]);
        long end = v[0]; // probe both sides of an interval's end
        return rnd.nextBoolean() ? end - 1 : end;
    }

    private boolean overlaps(long iova, long size) {
        Map.Entry<Long, long[]> below = model.floorEntry(iova + size - 1);
        return below != null && below.getValue()[0] > iova;
    }

    /** Removes [iova, iova+size) from the model, splitting intervals; returns the bytes removed. */
    private long modelUnmap(long iova, long size) {
        long end = iova + size;
        long removed = 0;
        Map.Entry<Long, long[]> e = model.lowerEntry(end);
        while (e != null && e.getValue()[0] > iova) {
            long s = e.getKey();
            long[] v = e.getValue();
            model.remove(s);
            long lo = Math.max(s, iova);
            long hi = Math.min(v[0], end);
            removed += hi - lo;
            if (s < lo) {
                model.put(s, new long[] {lo, v[1], v[2]});
            }
            if (hi < v[0]) {
                model.put(hi, new long[] {v[0], v[1] + (hi - s), v[2]});
            }
            e = model.lowerEntry(end);
        }
        return removed;
    }
}
