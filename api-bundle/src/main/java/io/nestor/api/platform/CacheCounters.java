package io.nestor.api.platform;

import java.util.Objects;

/**
 * One translation cache's counters, as the platform reports them: individually exact, read one after
 * the other while the cache runs (not a consistent cut).
 *
 * @param cache {@code iotlb}, {@code walk} (the paging-structure caches) or {@code config}
 * @param capacity the most entries it holds
 * @param entries the live entries now
 * @param hits lookups that found an entry
 * @param misses lookups that found none
 * @param fills entries stored
 * @param evictions entries dropped to make room
 * @param invalidations invalidation requests applied
 * @param invalidatedEntries entries those removed
 */
public record CacheCounters(String cache, int capacity, int entries, long hits, long misses, long fills,
        long evictions, long invalidations, long invalidatedEntries) {
    public CacheCounters {
        Objects.requireNonNull(cache, "cache");
    }
}
