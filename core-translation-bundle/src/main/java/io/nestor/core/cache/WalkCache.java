package io.nestor.core.cache;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.InvalidationScope;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The paging-structure caches of both stages (VT-d first- and second-stage paging-structure
 * caches, SMMU walk caches): for an input-address prefix, the table to continue the walk at, so a
 * walk that misses the IOTLB need not re-read the upper levels (and, nested, need not re-translate
 * every stage-1 table address through stage 2).
 *
 * <p>An entry says: for inputs whose bits at and above {@code format.levelShift(level + 1)} equal
 * those of the cached address, the table indexed at {@code level} is at the cached address, and the
 * descriptors above it grant the cached permissions. Levels count from the leaf, as in
 * {@link PageTableFormat}; the root level is never cached (the configuration names it). Stage-1
 * entries of a nested walk hold the stage-2-translated (host physical) table address.
 *
 * <p>Keyed by unit, {@link WalkStage}, domain tag, address-space tag, level, prefix shift and
 * prefix. High word: {@link CacheTags} in bits 0..52, level in 53..55, prefix shift in 56..61,
 * stage in 62, live bit 63; low word: {@code input >>> prefixShift}. Same storage, concurrency and
 * fill-token discipline as the {@link Iotlb}. Numbers only: survives a driver swap.
 *
 * <p>Invalidation: {@link InvalidationScope.AddressSpace} and (unless leaf-only)
 * {@link InvalidationScope.AddressSpaceRange} remove stage-1 entries; a
 * {@link InvalidationScope.Stage2Range} removes the overlapping stage-2 entries unless leaf-only,
 * and every stage-1 entry of the domain tag regardless (their addresses went through stage 2).
 */
public final class WalkCache {
    private static final int LEVEL_SHIFT = CacheTags.OWN_SHIFT;
    private static final int PREFIX_SHIFT_SHIFT = LEVEL_SHIFT + 3;
    private static final int STAGE_SHIFT = PREFIX_SHIFT_SHIFT + 6;
    private static final VarHandle GENERATION;

    static {
        try {
            GENERATION = MethodHandles.lookup().findVarHandle(WalkCache.class, "generation", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SeqlockSetTable table;
    private final CacheEventCounters counters = new CacheEventCounters();

    @SuppressWarnings("unused") // through GENERATION
    private volatile long generation;

    public WalkCache(int capacity) {
        this.table = new SeqlockSetTable(capacity);
    }

    public int capacity() {
        return table.capacity();
    }

    /** Taken before the walk reads the descriptor it will cache; see {@link Iotlb}. */
    public long fillToken() {
        return (long) GENERATION.getVolatile(this);
    }

    /**
     * The deepest cached table on the walk of {@code input}: probes levels 0 up to
     * {@code format.levels() - 2} and returns the first hit, packed as {@link WalkCacheEntry}, or
     * {@link WalkCacheEntry#MISS} (start from the root).
     */
    public long lookupDeepest(int unit, WalkStage stage, int domainTag, int addressSpaceTag, PageTableFormat format,
            long input) {
        CacheTags.check(unit, domainTag, addressSpaceTag);
        long tags = CacheTags.pack(unit, domainTag, addressSpaceTag) | (long) stage.ordinal() << STAGE_SHIFT;
        int levels = Math.min(format.levels(), WalkCacheEntry.MAX_LEVEL + 1);
        for (int level = 0; level < levels - 1; level++) {
            int prefixShift = format.levelShift(level + 1);
            long entry = table.get(key(tags, level, prefixShift), input >>> prefixShift);
            if (entry != WalkCacheEntry.MISS) {
                counters.hit();
                return entry;
            }
        }
        counters.miss();
        return WalkCacheEntry.MISS;
    }

    /** The cached table for one level, or {@link WalkCacheEntry#MISS}. */
    public long lookup(int unit, WalkStage stage, int domainTag, int addressSpaceTag, PageTableFormat format,
            int level, long input) {
        CacheTags.check(unit, domainTag, addressSpaceTag);
        checkLevel(format, level);
        int prefixShift = format.levelShift(level + 1);
        long tags = CacheTags.pack(unit, domainTag, addressSpaceTag) | (long) stage.ordinal() << STAGE_SHIFT;
        long entry = table.get(key(tags, level, prefixShift), input >>> prefixShift);
        if (entry != WalkCacheEntry.MISS) {
            counters.hit();
        } else {
            counters.miss();
        }
        return entry;
    }

    /**
     * Caches that the walk of {@code input} continues at {@code tableAddress} for {@code level},
     * with {@code permissions} accumulated above it. Dropped (false) if an invalidation began after
     * {@code token}.
     */
    public boolean fill(long token, int unit, WalkStage stage, int domainTag, int addressSpaceTag,
            PageTableFormat format, int level, long input, long tableAddress, int permissions) {
        CacheTags.check(unit, domainTag, addressSpaceTag);
        checkLevel(format, level);
        long entry = WalkCacheEntry.pack(tableAddress, level, permissions);
        int prefixShift = format.levelShift(level + 1);
        long tags = CacheTags.pack(unit, domainTag, addressSpaceTag) | (long) stage.ordinal() << STAGE_SHIFT;
        int outcome = table.put(key(tags, level, prefixShift), input >>> prefixShift, entry,
                () -> (long) GENERATION.getVolatile(this) == token);
        if (outcome < 0) {
            counters.rejectedFill();
            return false;
        }
        counters.fill();
        if (outcome == SeqlockSetTable.PUT_EVICTED) {
            counters.eviction();
        }
        return true;
    }

    /** Applies the scope; returns the number of entries removed. */
    public int invalidate(InvalidationScope scope) {
        if (CacheTags.configurationOnly(scope)) {
            return 0;
        }
        if (scope instanceof InvalidationScope.AddressSpaceRange
                && ((InvalidationScope.AddressSpaceRange) scope).leafOnly()) {
            // Only leaves changed: every cached table pointer is still right (VT-d IH=1, SMMU Leaf=1).
            counters.invalidation(0);
            return 0;
        }
        GENERATION.getAndAdd(this, 1L);
        int removed = table.removeIf(filter(scope));
        counters.invalidation(removed);
        return removed;
    }

    private static SeqlockSetTable.EntryFilter filter(InvalidationScope scope) {
        if (scope instanceof InvalidationScope.All) {
            return (hi, lo, v) -> true;
        }
        if (scope instanceof InvalidationScope.Unit) {
            int unit = ((InvalidationScope.Unit) scope).unit();
            return (hi, lo, v) -> CacheTags.unit(hi) == unit;
        }
        if (scope instanceof InvalidationScope.Domain) {
            InvalidationScope.Domain d = (InvalidationScope.Domain) scope;
            return (hi, lo, v) -> CacheTags.matches(hi, d.unit(), d.domainTag(), InvalidationScope.ANY);
        }
        if (scope instanceof InvalidationScope.AddressSpace) {
            InvalidationScope.AddressSpace a = (InvalidationScope.AddressSpace) scope;
            return (hi, lo, v) -> stageOf(hi) == WalkStage.STAGE1
                    && CacheTags.matches(hi, a.unit(), a.domainTag(), a.addressSpaceTag());
        }
        if (scope instanceof InvalidationScope.AddressSpaceRange) {
            InvalidationScope.AddressSpaceRange r = (InvalidationScope.AddressSpaceRange) scope;
            return (hi, lo, v) -> stageOf(hi) == WalkStage.STAGE1
                    && CacheTags.matches(hi, r.unit(), r.domainTag(), r.addressSpaceTag())
                    && CacheTags.overlaps(lo, prefixShiftOf(hi), r.address(), r.last());
        }
        InvalidationScope.Stage2Range s = (InvalidationScope.Stage2Range) scope;
        return (hi, lo, v) -> CacheTags.matches(hi, s.unit(), s.domainTag(), InvalidationScope.ANY)
                && (stageOf(hi) == WalkStage.STAGE1
                        || !s.leafOnly() && CacheTags.overlaps(lo, prefixShiftOf(hi), s.address(), s.last()));
    }

    private static long key(long tags, int level, int prefixShift) {
        return tags | (long) level << LEVEL_SHIFT | (long) prefixShift << PREFIX_SHIFT_SHIFT;
    }

    private static WalkStage stageOf(long keyHi) {
        return (keyHi >>> STAGE_SHIFT & 1) == 0 ? WalkStage.STAGE1 : WalkStage.STAGE2;
    }

    private static int prefixShiftOf(long keyHi) {
        return (int) (keyHi >>> PREFIX_SHIFT_SHIFT) & 0x3F;
    }

    private static void checkLevel(PageTableFormat format, int level) {
        if (level < 0 || level >= format.levels() - 1 || level > WalkCacheEntry.MAX_LEVEL) {
            throw new IllegalArgumentException("level " + level + " of " + format.name()
                    + " is not a cacheable (non-root) level");
        }
    }

    public CacheStatistics statistics() {
        return counters.statistics("walk", table.capacity(), table.size());
    }
}
