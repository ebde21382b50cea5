package io.nestor.core.cache;

import java.util.concurrent.atomic.LongAdder;

/**
 * The event counters every translation cache keeps, behind its {@link CacheStatistics}. Hits are
 * counted in a {@link StripedCounter} (no atomic instruction: a hit is the path every translation
 * takes), the rarer events in {@link LongAdder}s. Each counter is exact when no event is in flight.
 *
 * <p>Thread-safe.
 */
final class CacheEventCounters {
    private final StripedCounter hits = new StripedCounter();
    private final LongAdder misses = new LongAdder();
    private final LongAdder fills = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder invalidations = new LongAdder();
    private final LongAdder invalidatedEntries = new LongAdder();
    private final LongAdder rejectedFills = new LongAdder();

    void hit() {
        hits.increment();
    }

    /**
     * The hit counter itself, for a cache that keeps it in a field of its own: the IOTLB's hit
     * path then loads one field fewer.
     */
    StripedCounter hitCounter() {
        return hits;
    }

    void miss() {
        misses.increment();
    }

    void fill() {
        fills.increment();
    }

    void eviction() {
        evictions.increment();
    }

    /** A fill dropped: an invalidation ran between its token and the fill, or it could not be kept. */
    void rejectedFill() {
        rejectedFills.increment();
    }

    /** One invalidation request applied, which removed {@code removed} entries. */
    void invalidation(int removed) {
        invalidations.increment();
        invalidatedEntries.add(removed);
    }

    CacheStatistics statistics(String cache, int capacity, int entries) {
        return new CacheStatistics(cache, capacity, entries, hits.sum(), misses.sum(), fills.sum(), evictions.sum(),
                invalidations.sum(), invalidatedEntries.sum(), rejectedFills.sum());
    }
}
