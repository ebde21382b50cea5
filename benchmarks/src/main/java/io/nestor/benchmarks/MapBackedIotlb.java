package io.nestor.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.nestor.core.cache.IotlbEntry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The baseline of {@link IotlbBenchmark}: the core's IOTLB hit path rebuilt on a general-purpose
 * map, with the same semantics step for step, so that only the storage differs:
 * <ul>
 *   <li>the same tag handle: a per-(unit, domain, address space, kind) object holding an index
 *       word and a page-size mask, read once per lookup, and the index word re-read after the
 *       probe (the check that lets the core retire a handle in O(1));</li>
 *   <li>the same one-word key, built the same way: handle index in bits 46..63, page number and
 *       size below (here boxed in a {@code Long}, as the map needs);</li>
 *   <li>the same number of probes: one per page size in the mask, one for a 4 KiB-only handle;</li>
 *   <li>the same statistics: every hit and every miss counted (in {@link LongAdder}s, the
 *       standard choice for a contended counter), and the same strict-mode flag read.</li>
 * </ul>
 * Subclasses differ only in the map: an unbounded {@link ConcurrentHashMap} (it lacks the
 * IOTLB's capacity bound) and a bounded Caffeine cache.
 */
abstract class MapBackedIotlb {
    static final int PAGE_BITS = 46;
    static final long SMALL_PAGES_ONLY = 1L << 12;

    /** The baseline's tag handle; same fields as the core's. */
    static final class Handle {
        volatile long assignment;
        long sizes;

        Handle(int index) {
            this.assignment = index;
        }
    }

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private volatile boolean strict;

    abstract Long get(Long key);

    abstract void put(Long key, Long value);

    static long pageKey(long iova, int shift) {
        return (iova >>> shift) << (shift - 11) | ((1L << (shift - 12)) - 1);
    }

    void fill(Handle h, long iova, long entry) {
        int shift = IotlbEntry.pageShift(entry);
        h.sizes |= 1L << shift;
        put((h.assignment & 0x3FFFF) << PAGE_BITS | pageKey(iova, shift), entry);
    }

    long lookup(Handle h, long iova) {
        long assignment = h.assignment;
        long present = h.sizes;
        long prefix = (assignment & 0x3FFFF) << PAGE_BITS;
        long found = IotlbEntry.MISS;
        if (iova >>> 57 == 0) {
            if (present == SMALL_PAGES_ONLY) {
                found = unbox(get(prefix | (iova >>> 11 & ~1L)));
            } else {
                for (; present != 0 && found == IotlbEntry.MISS; present &= present - 1) {
                    found = unbox(get(prefix | pageKey(iova, Long.numberOfTrailingZeros(present))));
                }
            }
        }
        if (found != IotlbEntry.MISS && h.assignment == assignment) {
            hits.increment();
            if (strict) {
                throw new AssertionError("strict mode is not benchmarked");
            }
            return found;
        }
        misses.increment();
        return IotlbEntry.MISS;
    }

    private static long unbox(Long value) {
        return value == null ? IotlbEntry.MISS : value;
    }

    long hits() {
        return hits.sum();
    }

    /** On an unbounded {@link ConcurrentHashMap}. */
    static final class OnConcurrentHashMap extends MapBackedIotlb {
        private final ConcurrentHashMap<Long, Long> map = new ConcurrentHashMap<>();

        @Override
        Long get(Long key) {
            return map.get(key);
        }

        @Override
        void put(Long key, Long value) {
            map.put(key, value);
        }
    }

    /** On a Caffeine cache bounded to the IOTLB's capacity. */
    static final class OnCaffeine extends MapBackedIotlb {
        private final Cache<Long, Long> cache;

        OnCaffeine(int capacity) {
            cache = Caffeine.newBuilder().maximumSize(capacity).build();
        }

        @Override
        Long get(Long key) {
            return cache.getIfPresent(key);
        }

        @Override
        void put(Long key, Long value) {
            cache.put(key, value);
        }
    }
}
