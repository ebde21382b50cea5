package io.nestor.core.translate;

import static io.nestor.api.translation.InvalidationScope.UNTAGGED;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.FaultStage;
import io.nestor.core.cache.WalkCache;
import io.nestor.core.cache.WalkCacheEntry;
import io.nestor.core.cache.WalkStage;
import io.nestor.core.walk.WalkShortcuts;

/**
 * The {@link WalkCache} as the walker sees it for one request: the engine sets the unit, the
 * configuration's tags and the fill token before each walk, so that the walker needs none of them.
 *
 * <p>Stage-1 entries are tagged (domain tag, address-space tag); stage-2 entries by the domain tag
 * only (address-space tag -1), since every address space of a domain shares its stage 2.
 *
 * <p>Per-thread scratch, owned by a {@link TranslationResult}; not thread-safe.
 */
final class WalkCacheShortcuts implements WalkShortcuts {
    private WalkCache cache;
    private int unit;
    private int domainTag;
    private int addressSpaceTag;
    private long token;

    void prepare(WalkCache cache, int unit, int domainTag, int addressSpaceTag, long token) {
        this.cache = cache;
        this.unit = unit;
        this.domainTag = domainTag;
        this.addressSpaceTag = addressSpaceTag;
        this.token = token;
    }

    @Override
    public long deepestTable(FaultStage stage, PageTableFormat format, long input) {
        if (format.levels() < 2) {
            return WalkCacheEntry.MISS;
        }
        return stage == FaultStage.STAGE1
                ? cache.lookupDeepest(unit, WalkStage.STAGE1, domainTag, addressSpaceTag, format, input)
                : cache.lookupDeepest(unit, WalkStage.STAGE2, domainTag, UNTAGGED, format, input);
    }

    @Override
    public void tableReached(FaultStage stage, PageTableFormat format, long input, int level, long tableAddress,
            int permissions) {
        if (level > WalkCacheEntry.MAX_LEVEL || (tableAddress & 0xFFF) != 0) {
            return; // not representable; the walk simply is not cached
        }
        if (stage == FaultStage.STAGE1) {
            cache.fill(token, unit, WalkStage.STAGE1, domainTag, addressSpaceTag, format, level, input, tableAddress,
                    permissions);
        } else {
            cache.fill(token, unit, WalkStage.STAGE2, domainTag, UNTAGGED, format, level, input, tableAddress,
                    permissions);
        }
    }
}
