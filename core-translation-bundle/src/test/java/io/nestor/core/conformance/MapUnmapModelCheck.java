package io.nestor.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.cache.TranslationCaches;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.translate.TranslationEngine;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.walk.TranslationWalker;
import io.nestor.core.walk.WalkResult;
import java.util.Random;

/**
 * Model-based randomized check of the builder, the walker and the engine together, for one leaf
 * size of one format: random maps and unmaps of that page size inside a window of eight pages,
 * compared with a {@link ReferenceMap} after every step by direct walks (output, permissions, fault
 * reason) and by translations through a {@link TranslationEngine} whose IOTLB and walk caches are
 * on, then a leak check of the table pages.
 *
 * <p>The engine sees what a driver does: after each unmap it applies the range invalidation of the
 * stage ({@link InvalidationScope.Stage2Range} or {@link InvalidationScope.AddressSpaceRange},
 * not leaf-only, because the unmap may free tables), and nothing after a map (negative results are
 * not cached). Unmapped tables go straight back to the allocator and may be reused at once, so a
 * stale walk-cache entry or an IOTLB entry of a split block that survives its invalidation shows as
 * a wrong translation.
 *
 * <p>The window straddles the middle of the input space: the boundary between the root's two
 * halves, or between concatenated root tables. Where the middle is not a valid input (x86
 * canonical addresses: the upper half is negative and cannot be mapped), the window ends at the
 * top of the lower half, so its last edge probes the address-size check instead, and unmaps are
 * cut at that top.
 *
 * <p>Permissions are checked against the format's own decoding of the leaf it encodes for the
 * mapped permissions: formats cannot express every combination (stage 1 always grants privileged
 * read), and what each format makes of a request is its own tests' business; here the walk must give
 * back exactly what the leaf says, after any block split. Probes are privileged reads, which every
 * present leaf of every format grants.
 */
public final class MapUnmapModelCheck {
    private static final int[] PERMS = {Permission.READ, Permission.READ | Permission.WRITE,
            Permission.READ | Permission.EXEC_PRIV | Permission.EXEC_USER, Permission.ALL};
    private static final int UNIT = 0;
    private static final int SOURCE_ID = 0x10;
    private static final int ACCESS = Access.READ | Access.PRIV;

    private final FormatUnderTest under;
    private final PageTableFormat format;
    private final int leafLevel;
    private final Random rnd;
    private final ReferenceMap model = new ReferenceMap();
    private final SparsePhysicalMemory memory = new SparsePhysicalMemory(48);
    private final PageAllocator allocator;
    private final PageTableBuilder builder;
    private final TranslationWalker walker = new TranslationWalker(memory);
    private final TranslationConfig config;
    private final TranslationEngine engine;
    private final WalkResult walk = new WalkResult();
    private final TranslationResult result = new TranslationResult();
    private final long page;
    private final long granule;
    private final long window;
    private final long windowBase;
    /** Exclusive end of the inputs the builder accepts near the window: the window's end or beyond. */
    private final long inputLimit;

    private MapUnmapModelCheck(FormatUnderTest under, int leafLevel, long seed) {
        this.under = under;
        this.format = under.format();
        if (!format.leafAllowed(leafLevel)) {
            throw new IllegalArgumentException(format.name() + " has no leaf at level " + leafLevel);
        }
        this.leafLevel = leafLevel;
        this.rnd = new Random(seed);
        this.allocator = new PageAllocator(memory, 0x4000_0000L, 0x1000_0000L, format.granuleShift());
        this.builder = new PageTableBuilder(format, allocator);
        this.config = under.config(builder.rootAddress());
        this.engine = new TranslationEngine(memory, new TranslationCaches(1024, 256, 64), (u, s, p) -> config);
        this.page = 1L << format.levelShift(leafLevel);
        this.granule = 1L << format.granuleShift();
        this.window = 8 * page;
        long middle = 1L << (format.inputAddressBits() - 1);
        boolean middleValid = format.inputAddressValid(middle);
        this.windowBase = middleValid ? middle - window / 2 : middle - window;
        this.inputLimit = middleValid ? Long.MAX_VALUE : middle;
    }

    /**
     * Runs the check: 300 steps for the granule, 120 for larger leaves, each followed by 40 probes.
     *
     * @param seed the random seed (a failure names it through the format label and level)
     */
    public static void run(FormatUnderTest under, int leafLevel, long seed) {
        new MapUnmapModelCheck(under, leafLevel, seed).run(leafLevel == 0 ? 300 : 120);
    }

    private void run(int iterations) {
        for (int it = 0; it < iterations; it++) {
            if (rnd.nextInt(3) > 0) {
                mapStep();
            } else {
                long iova = windowBase + granule * rnd.nextInt((int) (window / granule));
                long size = granule * (1 + rnd.nextInt((int) Math.min(3 * page / granule, 1 << 14)));
                unmapAndInvalidate(iova, Math.min(size, inputLimit - iova));
            }
            checkAgainstModel();
        }
        unmapAndInvalidate(windowBase, window);
        assertTrue(model.isEmpty());
        checkAgainstModel();
        assertTrue(engine.caches().iotlb().statistics().hits() > 0, "the IOTLB took part");
        assertEquals(format.rootTableCount(), allocator.livePages(), "only the root may remain after unmapping all");
        assertEquals(0, builder.destroy());
        assertEquals(0, allocator.livePages());
    }

    private void mapStep() {
        long iova = windowBase + page * rnd.nextInt(7);
        long size = page * (1 + rnd.nextInt(2));
        long pa = page * (1 + rnd.nextInt(64)) + (rnd.nextBoolean() ? 0 : 0x1_0000_0000L);
        int perms = PERMS[rnd.nextInt(PERMS.length)];
        if (model.overlaps(iova, size)) {
            long live = allocator.livePages();
            IommuException e = assertThrows(IommuException.class, () -> builder.map(iova, pa, size, perms));
            assertEquals(Errno.EEXIST, e.errno());
            assertEquals(live, allocator.livePages(), "a failed map must not leak tables");
        } else {
            builder.map(iova, pa, size, perms);
            model.map(iova, pa, size, perms);
            // a page-aligned map uses the page's own leaf size
            assertTrue(walker.translate(config, iova, ACCESS, walk), walk.toString());
            assertEquals(format.levelShift(leafLevel), walk.pageShift(), () -> under + " map 0x" + Long.toHexString(iova));
        }
    }

    private void unmapAndInvalidate(long iova, long size) {
        long expected = model.unmap(iova, size);
        assertEquals(expected, builder.unmap(iova, size), () -> under + " unmap 0x" + Long.toHexString(iova));
        engine.invalidate(under.mode() == TranslationMode.STAGE2
                ? new InvalidationScope.Stage2Range(UNIT, FormatUnderTest.DOMAIN_TAG, iova, size, false)
                : new InvalidationScope.AddressSpaceRange(UNIT, FormatUnderTest.DOMAIN_TAG,
                        FormatUnderTest.ADDRESS_SPACE_TAG, iova, size, false));
    }

    private void checkAgainstModel() {
        for (int i = 0; i < 40; i++) {
            long iova = i < 8 && !model.isEmpty()
                    ? pickEdge() : windowBase + (rnd.nextLong() & Long.MAX_VALUE) % window;
            long expected = model.output(iova);
            boolean mapped = expected != -1;
            boolean ok = walker.translate(config, iova, ACCESS, walk);
            assertEquals(mapped, ok, () -> under + " iova 0x" + Long.toHexString(iova) + ": " + walk);
            if (mapped) {
                assertEquals(expected, walk.outputAddress(), () -> under + " iova 0x" + Long.toHexString(iova));
                int leafPerms = format.permissions(format.encodeLeaf(0, 0, model.permissions(iova)), 0);
                assertEquals(Permission.toString(leafPerms), Permission.toString(walk.permissions()),
                        () -> under + " permissions at 0x" + Long.toHexString(iova));
            } else {
                FaultReason reason = format.inputAddressValid(iova) ? FaultReason.TRANSLATION : FaultReason.ADDRESS_SIZE;
                assertEquals(reason, walk.faultReason(), () -> under + " iova 0x" + Long.toHexString(iova));
            }
            int pasid = under.mode() == TranslationMode.STAGE1 ? FormatUnderTest.ADDRESS_SPACE_TAG : -1;
            boolean engineOk = engine.translate(UNIT, SOURCE_ID, pasid, iova, ACCESS, result);
            assertEquals(mapped, engineOk, () -> under + " engine, iova 0x" + Long.toHexString(iova) + ": " + result);
            if (mapped) {
                assertEquals(expected, result.outputAddress(),
                        () -> under + " engine (" + result.source() + "), iova 0x" + Long.toHexString(iova));
            }
        }
    }

    private long pickEdge() {
        long end = model.intervalEnd(rnd.nextInt(model.size())); // probe both sides of an interval's end
        return rnd.nextBoolean() ? end - 1 : end;
    }
}
