package io.nestor.core.cache;

/**
 * A snapshot of one cache's counters, for the shell and for tests. Counters are read one after the
 * other while the cache runs, so they are individually exact but not a consistent cut.
 *
 * @param cache the cache's name ({@code iotlb}, {@code walk}, {@code config})
 * @param capacity the most entries it holds
 * @param entries the live entries now
 * @param hits lookups that found an entry
 * @param misses lookups that found none
 * @param fills entries stored
 * @param evictions entries dropped to make room
 * @param invalidations invalidation requests applied
 * @param invalidatedEntries entries removed by them
 * @param rejectedFills fills dropped because an invalidation ran between their token and the fill
 */
public record CacheStatistics(String cache, int capacity, int entries, long hits, long misses, long fills,
        long evictions, long invalidations, long invalidatedEntries, long rejectedFills) {

    /** Hits over lookups, 0 when there were none. */
    public double hitRatio() {
        long lookups = hits + misses;
        return lookups == 0 ? 0 : (double) hits / lookups;
    }

    @Override
    public String toString() {
        return String.format("%s: %d/%d entries, %d hits, %d misses (%.1f%%), %d fills, %d evictions, "
                + "%d invalidations removing %d entries, %d rejected fills", cache, entries, capacity, hits,
                misses, 100 * hitRatio(), fills, evictions, invalidations, invalidatedEntries, rejectedFills);
    }
}
