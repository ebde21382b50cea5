package io.nestor.core.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A bounded, set-associative table of {@code (keyHi, keyLo) -> value} triples of {@code long}s,
 * read without locks and without allocation: the storage under the walk caches (the IOTLB uses
 * the one-word-key {@link SeqlockWordTable}).
 *
 * <p><b>Layout.</b> One {@code long[]}; each set takes {@value #SET_LONGS} longs (two cache lines):
 * a sequence number, then {@value #WAYS} ways of {@code keyHi, keyLo, value}, then padding. A way
 * is empty when its {@code keyHi} is 0; a live {@code keyHi} always has bit 63 set
 * ({@link CacheTags#LIVE}), so an empty way never matches, and a live value is never 0, so 0 can
 * mean "miss".
 *
 * <p><b>Concurrency (a seqlock per set).</b> A writer owns a set while its sequence number is odd:
 * it takes ownership by a CAS from even to odd, stores, and releases by storing the next even
 * number. Writers to the same set spin; the critical sections are a handful of stores. A reader
 * reads the sequence number (acquire), reads the ways with plain loads, issues an acquire fence and
 * reads the sequence number again: if it was odd or changed, the reader may have seen a torn way
 * and retries; after {@value #READ_ATTEMPTS} failed attempts it reports a miss, which is always
 * safe for a cache. This is the validation pattern of {@link java.util.concurrent.locks.StampedLock}
 * optimistic reads.
 *
 * <p><b>Why four ways.</b> The hit path is bound by instructions, not memory (a set is two adjacent
 * cache lines), and each way costs about ten of them in the branch-free scan: two ways measured
 * about 4 ns faster per hit, but at a quarter load they already lost 3.4% of the resident pages
 * to conflicts, and one miss (a full walk) costs far more than the 4 ns saved on every hit.
 *
 * <p><b>Replacement.</b> A put overwrites the same key, else fills an empty way, else evicts a
 * random way of the set. Random replacement keeps the hit path free of stores (no reference bits
 * to set), which matters more here than the few extra misses it costs against LRU or CLOCK.
 */
final class SeqlockSetTable {
    static final int WAYS = 4;
    static final int SET_LONGS = 16;
    private static final int READ_ATTEMPTS = 64;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** The outcome of {@link #put}. */
    static final int PUT_NEW = 0;
    static final int PUT_REPLACED = 1;
    static final int PUT_EVICTED = 2;

    /** Decides, under the set's ownership, whether a way is dropped by a scan. */
    @FunctionalInterface
    interface EntryFilter {
        boolean matches(long keyHi, long keyLo, long value);
    }

    private final long[] data;
    private final int setMask;

    /** A table of at least {@code capacity} entries (rounded up to a power-of-two number of sets). */
    SeqlockSetTable(int capacity) {
        if (capacity < WAYS || capacity > (1 << 26)) {
            throw new IllegalArgumentException("capacity " + capacity + " outside " + WAYS + ".." + (1 << 26));
        }
        int sets = Integer.highestOneBit((capacity + WAYS - 1) / WAYS);
        if (sets * WAYS < capacity) {
            sets <<= 1;
        }
        this.setMask = sets - 1;
        this.data = new long[sets * SET_LONGS];
    }

    int capacity() {
        return (setMask + 1) * WAYS;
    }

    int sets() {
        return setMask + 1;
    }

    /** The value stored under the key, or 0. Lock-free, allocation-free. */
    long get(long keyHi, long keyLo) {
        final long[] d = data;
        final int base = setOf(keyHi, keyLo) * SET_LONGS;
        // First attempt inline; a set being written (rare) retries out of line.
        long seq = (long) LONGS.getAcquire(d, base);
        long found = scan(d, base, keyHi, keyLo);
        // Orders the loads of the scan before the re-read of the sequence number.
        VarHandle.acquireFence();
        if ((seq & 1) == 0 && (long) LONGS.getAcquire(d, base) == seq) {
            return found;
        }
        return getContended(d, base, keyHi, keyLo);
    }

    /**
     * The value of the way holding the key, or 0, without branches: which way holds a key is
     * random, so a branching scan mispredicts on a large share of hits and each mispredict waits
     * for the set's cache line. Every way is compared and the (at most one) match is selected with
     * masks.
     */
    private static long scan(long[] d, int base, long keyHi, long keyLo) {
        return select(d[base + 1], d[base + 2], d[base + 3], keyHi, keyLo)
                | select(d[base + 4], d[base + 5], d[base + 6], keyHi, keyLo)
                | select(d[base + 7], d[base + 8], d[base + 9], keyHi, keyLo)
                | select(d[base + 10], d[base + 11], d[base + 12], keyHi, keyLo);
    }

    /** {@code value} if {@code (hi, lo)} is the key, else 0; branch-free. */
    private static long select(long hi, long lo, long value, long keyHi, long keyLo) {
        long diff = (hi ^ keyHi) | (lo ^ keyLo);
        // (diff | -diff) has its sign bit set exactly when diff != 0.
        return value & ~((diff | -diff) >> 63);
    }

    private static long getContended(long[] d, int base, long keyHi, long keyLo) {
        for (int attempt = 1; attempt < READ_ATTEMPTS; attempt++) {
            Thread.onSpinWait();
            long seq = (long) LONGS.getAcquire(d, base);
            if ((seq & 1) == 0) {
                long found = scan(d, base, keyHi, keyLo);
                VarHandle.acquireFence();
                if ((long) LONGS.getAcquire(d, base) == seq) {
                    return found;
                }
            }
        }
        return 0;
    }

    /**
     * Stores the triple, if {@code admit} still answers true once the set is owned (the caller's
     * check against a concurrent invalidation, see {@link Iotlb#fillToken()}).
     *
     * @return {@link #PUT_NEW}, {@link #PUT_REPLACED} (same key), {@link #PUT_EVICTED} (a random
     *     victim was dropped), or -1 if not admitted
     */
    int put(long keyHi, long keyLo, long value, java.util.function.BooleanSupplier admit) {
        if (keyHi >= 0 || value == 0) {
            throw new IllegalArgumentException("dead key or zero value");
        }
        final long[] d = data;
        final int base = setOf(keyHi, keyLo) * SET_LONGS;
        long seq = lock(base);
        try {
            if (!admit.getAsBoolean()) {
                return -1;
            }
            int empty = -1;
            for (int way = base + 1; way < base + 1 + 3 * WAYS; way += 3) {
                if (d[way] == keyHi && d[way + 1] == keyLo) {
                    d[way + 2] = value;
                    return PUT_REPLACED;
                }
                if (empty < 0 && d[way] == 0) {
                    empty = way;
                }
            }
            int result = PUT_NEW;
            if (empty < 0) {
                empty = base + 1 + 3 * ThreadLocalRandom.current().nextInt(WAYS);
                result = PUT_EVICTED;
            }
            d[empty] = keyHi;
            d[empty + 1] = keyLo;
            d[empty + 2] = value;
            return result;
        } finally {
            unlock(base, seq);
        }
    }

    /** Removes the key if present; returns whether it was. */
    boolean remove(long keyHi, long keyLo) {
        final long[] d = data;
        final int base = setOf(keyHi, keyLo) * SET_LONGS;
        if (!mayHold(base, keyHi, keyLo)) {
            return false;
        }
        long seq = lock(base);
        try {
            for (int way = base + 1; way < base + 1 + 3 * WAYS; way += 3) {
                if (d[way] == keyHi && d[way + 1] == keyLo) {
                    clear(d, way);
                    return true;
                }
            }
            return false;
        } finally {
            unlock(base, seq);
        }
    }

    /** Removes every entry the filter matches, one set at a time; returns how many. */
    int removeIf(EntryFilter filter) {
        final long[] d = data;
        int removed = 0;
        for (int base = 0; base < d.length; base += SET_LONGS) {
            if (!anyLive(base)) {
                continue;
            }
            long seq = lock(base);
            try {
                for (int way = base + 1; way < base + 1 + 3 * WAYS; way += 3) {
                    if (d[way] != 0 && filter.matches(d[way], d[way + 1], d[way + 2])) {
                        clear(d, way);
                        removed++;
                    }
                }
            } finally {
                unlock(base, seq);
            }
        }
        return removed;
    }

    /** Live entries now (a racy count, for statistics). */
    int size() {
        int n = 0;
        for (int base = 0; base < data.length; base += SET_LONGS) {
            for (int way = base + 1; way < base + 1 + 3 * WAYS; way += 3) {
                if ((long) LONGS.getOpaque(data, way) != 0) {
                    n++;
                }
            }
        }
        return n;
    }

    private static void clear(long[] d, int way) {
        d[way] = 0;
        d[way + 1] = 0;
        d[way + 2] = 0;
    }

    /** Unlocked pre-check so that probing an absent key does not dirty the set's cache line. */
    private boolean mayHold(int base, long keyHi, long keyLo) {
        if (ownedByWriter(base)) {
            return true;
        }
        for (int way = base + 1; way < base + 1 + 3 * WAYS; way += 3) {
            if ((long) LONGS.getOpaque(data, way) == keyHi) {
                return true;
            }
        }
        return false;
    }

    private boolean anyLive(int base) {
        if (ownedByWriter(base)) {
            return true;
        }
        for (int way = base + 1; way < base + 1 + 3 * WAYS; way += 3) {
            if ((long) LONGS.getOpaque(data, way) != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads the sequence number first, with volatile semantics: a put admitted before the caller's
     * invalidation either still owns the set (odd, answered true) or has released it, and the
     * release then happens-before the way reads that follow, so the pre-check cannot miss it.
     */
    private boolean ownedByWriter(int base) {
        return ((long) LONGS.getVolatile(data, base) & 1) != 0;
    }

    private long lock(int base) {
        while (true) {
            long seq = (long) LONGS.getVolatile(data, base);
            if ((seq & 1) == 0 && LONGS.compareAndSet(data, base, seq, seq + 1)) {
                // The CAS is a full fence in practice; the store-store fence states the requirement:
                // no data store may become visible before the odd sequence number.
                VarHandle.storeStoreFence();
                return seq;
            }
            Thread.onSpinWait();
        }
    }

    private void unlock(int base, long seq) {
        LONGS.setRelease(data, base, seq + 2);
    }

    private int setOf(long keyHi, long keyLo) {
        // One multiply: the high bits of a Fibonacci hash mix every input bit.
        return (int) (((keyLo ^ keyHi) * 0x9E3779B97F4A7C15L) >>> 32) & setMask;
    }
}
