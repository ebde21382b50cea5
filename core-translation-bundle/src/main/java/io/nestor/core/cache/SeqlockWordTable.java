package io.nestor.core.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;

/**
 * A bounded, set-associative table of {@code key -> value} pairs of {@code long}s with a one-word
 * key, read without locks and without allocation: the storage under the IOTLB's hit path.
 *
 * <p><b>Layout.</b> One {@code long[]}; each set takes {@value #SET_LONGS} longs, unpadded: a
 * sequence number, then {@value #WAYS} ways of {@code key, value} side by side. (Padding sets to
 * 128 bytes bought nothing measurable: without control of the array's alignment a set spans two
 * cache lines either way, and the table was 78% larger.) Key 0 is an empty way (a live key is never
 * 0; the IOTLB's keys carry a non-zero handle index), and value 0 is "absent", so an empty way
 * matched by accident still answers absent.
 *
 * <p><b>Way prediction.</b> Two hash bits name a key's <em>preferred way</em>; a put uses it when
 * it is free (empty or dead), and a get compares that way alone first, falling back to the full
 * branch-free scan of the set. At the IOTLB's usual load most entries sit in their preferred way, so
 * a hit is one compare instead of four (measured: the table probe went from about 7 to 5 ns in
 * IotlbBenchmark); a hit elsewhere in the set costs a mispredicted branch and the scan.
 *
 * <p><b>Concurrency.</b> A per-set seqlock: a writer makes the sequence number odd (CAS), writes,
 * then makes it even again (release). A reader reads the sequence, the ways and the sequence again,
 * and retries (at most {@value #READ_ATTEMPTS} times, then answers absent, which is always legal
 * for a cache) if a writer was inside. Without the check a reader could pair a new key with the old
 * value of the same way.
 *
 * <p><b>Why one-word keys.</b> The tag tuple (unit, domain tag, address-space tag, kind) is resolved
 * once per configuration into a small handle index ({@link IotlbHandle}), so a key is that index and
 * the page: one compare per way instead of two (see benchmarks/README.md for the measured effect).
 *
 * <p><b>Replacement.</b> A put overwrites the same key, else fills the preferred way if free, else
 * another empty or dead way (the owner says which keys are dead: retired handles), else evicts the
 * preferred way or a random one (no reference bits: the hit path stays free of stores).
 */
final class SeqlockWordTable {
    static final int WAYS = 4;
    static final int SET_LONGS = 9;
    static final int READ_ATTEMPTS = 64;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    static final int PUT_NEW = 0;
    static final int PUT_REPLACED = 1;
    static final int PUT_EVICTED = 2;

    /** Told about every live key a put or a removal drops, under the set's ownership. */
    @FunctionalInterface
    interface DropListener {
        void dropped(long key);
    }

    /** Decides, under the set's ownership, whether a way is dropped by a scan. */
    @FunctionalInterface
    interface EntryFilter {
        boolean matches(long key, long value);
    }

    private final long[] data;
    private final int setMask;
    /** 64 minus the set-index bits (63 for a single set, masked to 0). */
    private final int setShift;

    SeqlockWordTable(int capacity) {
        if (capacity < WAYS || capacity > (1 << 26)) {
            throw new IllegalArgumentException("capacity " + capacity + " outside " + WAYS + ".." + (1 << 26));
        }
        int sets = Integer.highestOneBit((capacity + WAYS - 1) / WAYS);
        if (sets * WAYS < capacity) {
            sets <<= 1;
        }
        this.setMask = sets - 1;
        this.setShift = sets == 1 ? 63 : 64 - Integer.numberOfTrailingZeros(sets);
        this.data = new long[sets * SET_LONGS];
    }

    int capacity() {
        return (setMask + 1) * WAYS;
    }

    int sets() {
        return setMask + 1;
    }

    /**
     * The value stored under the key, or 0. Lock-free, allocation-free. The key's preferred way is
     * read first (one compare); a key elsewhere in the set, or a set being written, takes the full
     * scan.
     */
    long get(long key) {
        final long[] d = data;
        final long hash = key * 0x9E3779B97F4A7C15L;
        final int base = setOf(hash);
        final int way = base + 1 + 2 * preferredWay(hash);
        long seq = (long) LONGS.getAcquire(d, base);
        long k = d[way];
        long value = d[way + 1];
        // Orders the loads of the way before the re-read of the sequence number.
        VarHandle.acquireFence();
        if (k == key && (seq & 1) == 0 && (long) LONGS.getAcquire(d, base) == seq) {
            return value;
        }
        return getScanning(d, base, key);
    }

    /** The full seqlocked scan: every way, then the sequence check, retried while written. */
    private static long getScanning(long[] d, int base, long key) {
        for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
            long seq = (long) LONGS.getAcquire(d, base);
            if ((seq & 1) == 0) {
                long found = scan(d, base, key);
                VarHandle.acquireFence();
                if ((long) LONGS.getAcquire(d, base) == seq) {
                    return found;
                }
            }
            Thread.onSpinWait();
        }
        return 0;
    }

    /** The value of the way holding the key, or 0; branch-free (which way hits is random). */
    private static long scan(long[] d, int base, long key) {
        return select(d[base + 1], d[base + 2], key)
                | select(d[base + 3], d[base + 4], key)
                | select(d[base + 5], d[base + 6], key)
                | select(d[base + 7], d[base + 8], key);
    }

    private static long select(long k, long value, long key) {
        long diff = k ^ key;
        // (diff | -diff) has its sign bit set exactly when diff != 0.
        return value & ~((diff | -diff) >> 63);
    }

    /**
     * Stores the pair if {@code admit} still answers true once the set is owned.
     *
     * @param dead which stored keys may be overwritten as if empty (retired handles)
     * @param dropped told about a live key evicted to make room
     * @return {@link #PUT_NEW}, {@link #PUT_REPLACED}, {@link #PUT_EVICTED}, or -1 if not admitted
     */
    int put(long key, long value, BooleanSupplier admit, LongPredicate dead, DropListener dropped) {
        if (key == 0 || value == 0) {
            throw new IllegalArgumentException("zero key or value");
        }
        final long[] d = data;
        final long hash = key * 0x9E3779B97F4A7C15L;
        final int base = setOf(hash);
        final int preferred = base + 1 + 2 * preferredWay(hash);
        long seq = lock(base);
        try {
            if (!admit.getAsBoolean()) {
                return -1;
            }
            int free = d[preferred] == 0 || d[preferred] != key && dead.test(d[preferred]) ? preferred : -1;
            for (int way = base + 1; way < base + 1 + 2 * WAYS; way += 2) {
                if (d[way] == key) {
                    d[way + 1] = value;
                    return PUT_REPLACED;
                }
                if (free < 0 && (d[way] == 0 || dead.test(d[way]))) {
                    free = way;
                }
            }
            int result = PUT_NEW;
            if (free < 0) {
                // The preferred way half the time, else a random one: most entries stay where the
                // hit path looks first, and every way can still be a victim.
                free = ThreadLocalRandom.current().nextBoolean() ? preferred
                        : base + 1 + 2 * ThreadLocalRandom.current().nextInt(WAYS);
                result = PUT_EVICTED;
            }
            if (d[free] != 0) {
                dropped.dropped(d[free]);
            }
            d[free] = key;
            d[free + 1] = value;
            return result;
        } finally {
            unlock(base, seq);
        }
    }

    /** Removes the key if present; returns whether it was. */
    boolean remove(long key) {
        final long[] d = data;
        final int base = setOf(key * 0x9E3779B97F4A7C15L);
        if (!mayHold(base, key)) {
            return false;
        }
        long seq = lock(base);
        try {
            for (int way = base + 1; way < base + 1 + 2 * WAYS; way += 2) {
                if (d[way] == key) {
                    d[way] = 0;
                    d[way + 1] = 0;
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
                for (int way = base + 1; way < base + 1 + 2 * WAYS; way += 2) {
                    if (d[way] != 0 && filter.matches(d[way], d[way + 1])) {
                        d[way] = 0;
                        d[way + 1] = 0;
                        removed++;
                    }
                }
            } finally {
                unlock(base, seq);
            }
        }
        return removed;
    }

    /** Stored keys the predicate accepts, now (a racy count, for statistics). */
    int count(LongPredicate live) {
        int n = 0;
        for (int base = 0; base < data.length; base += SET_LONGS) {
            for (int way = base + 1; way < base + 1 + 2 * WAYS; way += 2) {
                long key = (long) LONGS.getOpaque(data, way);
                if (key != 0 && live.test(key)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Unlocked pre-check so that probing an absent key does not dirty the set's cache line. */
    private boolean mayHold(int base, long key) {
        if (ownedByWriter(base)) {
            return true;
        }
        for (int way = base + 1; way < base + 1 + 2 * WAYS; way += 2) {
            if ((long) LONGS.getOpaque(data, way) == key) {
                return true;
            }
        }
        return false;
    }

    private boolean anyLive(int base) {
        if (ownedByWriter(base)) {
            return true;
        }
        for (int way = base + 1; way < base + 1 + 2 * WAYS; way += 2) {
            if ((long) LONGS.getOpaque(data, way) != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Volatile read of the sequence number first: a put admitted before the caller's invalidation
     * either still owns the set (odd) or released it, and the release happens-before the way reads
     * that follow (see {@link SeqlockSetTable}).
     */
    private boolean ownedByWriter(int base) {
        return ((long) LONGS.getVolatile(data, base) & 1) != 0;
    }

    private long lock(int base) {
        while (true) {
            long seq = (long) LONGS.getVolatile(data, base);
            if ((seq & 1) == 0 && LONGS.compareAndSet(data, base, seq, seq + 1)) {
                VarHandle.storeStoreFence();
                return seq;
            }
            Thread.onSpinWait();
        }
    }

    private void unlock(int base, long seq) {
        LONGS.setRelease(data, base, seq + 2);
    }

    /**
     * Index of the set's sequence number: a Fibonacci hash, taking the top bits of the product,
     * the only ones every key bit reaches (the handle index sits in the key's top bits).
     */
    private int setOf(long hash) {
        return ((int) (hash >>> setShift) & setMask) * SET_LONGS;
    }

    /** The way a key is looked for first: the two hash bits below the set index. */
    private int preferredWay(long hash) {
        return (int) (hash >>> (setShift - 2)) & (WAYS - 1);
    }
}
