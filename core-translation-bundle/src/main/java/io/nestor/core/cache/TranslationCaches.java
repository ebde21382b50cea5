package io.nestor.core.cache;

import io.nestor.api.translation.InvalidationScope;
import java.util.List;

/**
 * The caches of the translation path together — {@link Iotlb}, {@link WalkCache} and
 * {@link ConfigCache} — so that one {@link InvalidationScope} is applied to all of them and no
 * cache is forgotten. Owned by the core's translation component (not a singleton).
 *
 * <p>Order: configurations first, then walk caches, then the IOTLB, the reverse of the order a
 * miss fills them in; each cache's fill token makes the order irrelevant for correctness, it only
 * avoids refilling an IOTLB entry from a walk cache that is about to go.
 */
public final class TranslationCaches {
    private final Iotlb iotlb;
    private final WalkCache walkCache;
    private final ConfigCache configCache;

    public TranslationCaches(int iotlbCapacity, int walkCacheCapacity, int configCapacity) {
        this.iotlb = new Iotlb(iotlbCapacity);
        this.walkCache = new WalkCache(walkCacheCapacity);
        this.configCache = new ConfigCache(configCapacity);
    }

    public Iotlb iotlb() {
        return iotlb;
    }

    public WalkCache walkCache() {
        return walkCache;
    }

    public ConfigCache configCache() {
        return configCache;
    }

    /**
     * Applies the scope to every cache it concerns.
     *
     * @return the number of entries removed, over all caches
     */
    public int invalidate(InvalidationScope scope) {
        return configCache.invalidate(scope) + walkCache.invalidate(scope) + iotlb.invalidate(scope);
    }

    /**
     * A driver is leaving: drops everything that refers to its objects (the unit's decoded
     * configurations), keeps the IOTLB and walk caches, which hold numbers only.
     */
    public int driverLeft(int unit) {
        return invalidate(new InvalidationScope.UnitConfig(unit));
    }

    /** Statistics of the IOTLB, the walk cache and the configuration cache, in that order. */
    public List<CacheStatistics> statistics() {
        return List.of(iotlb.statistics(), walkCache.statistics(), configCache.statistics());
    }
}
