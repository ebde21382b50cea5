package io.nestor.core.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Predicate;

/**
 * The {@link IotlbHandle}s of one {@link Iotlb}: the registry from tag word to handle, and the
 * allocator of the handle indices that prefix the IOTLB's one-word keys.
 *
 * <p><b>Registry.</b> An open-addressed {@code long[]} of tag words beside an array of handles;
 * {@link #find} reads it without a lock or an allocation (a tag word is published with a release
 * store after its handle), inserts and growth happen under this object's monitor and a grown table
 * is published whole. Handles are never removed: callers keep them.
 *
 * <p><b>Indices.</b> Index 0 means "none". An index is <em>assigned</em> to one handle, or
 * <em>quarantined</em> (retired; entries keyed by it may still sit in the table, dead), or
 * <em>free</em> (no entry carries it). A quarantined index becomes free only through a sweep that
 * removes every entry carrying it, run under the monitor after the generation bump of the
 * retirement, so no admitted fill can add one later (see {@link Iotlb}'s class comment). When no
 * index is free nor quarantined, the indices of handles with no resident entry are retired
 * (a legal over-invalidation) and swept. {@link #residents} counts the live entries per index,
 * so that a retirement reports how many entries it invalidated.
 *
 * <p>Every method but {@link #find} and {@link #isDead} runs under this object's monitor.
 */
final class TagHandles {
    static final int INDEX_BITS = 18;
    static final long INDEX_MASK = (1L << INDEX_BITS) - 1;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private static final class Slots {
        final long[] tags;
        final IotlbHandle[] handles;

        Slots(int size) {
            tags = new long[size];
            handles = new IotlbHandle[size];
        }
    }

    private final Iotlb iotlb;
    private final Runnable bumpGeneration;
    private volatile Slots slots = new Slots(64);
    private final List<IotlbHandle> all = new ArrayList<>();
    /** Index to its handle while assigned; null while free or quarantined. */
    private final IotlbHandle[] owners;
    private final AtomicIntegerArray residents;
    private final int[] free;
    private int freeCount;
    private final int[] quarantine;
    private int quarantined;

    /** {@code indices - 1} usable indices (1..indices-1). */
    TagHandles(Iotlb iotlb, int indices, Runnable bumpGeneration) {
        if (indices < 2 || indices > (1 << INDEX_BITS)) {
            throw new IllegalArgumentException("index count " + indices);
        }
        this.iotlb = iotlb;
        this.bumpGeneration = bumpGeneration;
        this.owners = new IotlbHandle[indices];
        this.residents = new AtomicIntegerArray(indices);
        this.free = new int[indices - 1];
        this.quarantine = new int[indices - 1];
        // Lowest index on top of the stack: only a cosmetic choice.
        for (int i = 0; i < indices - 1; i++) {
            free[i] = indices - 1 - i;
        }
        this.freeCount = indices - 1;
    }

    static int indexOf(long key) {
        return (int) (key >>> Iotlb.PAGE_BITS);
    }

    /** The handle of a tag word, or null if none was made. Lock-free, allocation-free. */
    IotlbHandle find(long tag) {
        Slots s = slots;
        long[] tags = s.tags;
        int mask = tags.length - 1;
        for (int i = slot(tag, mask); ; i = (i + 1) & mask) {
            long t = (long) LONGS.getAcquire(tags, i);
            if (t == tag) {
                return s.handles[i];
            }
            if (t == 0) {
                return null;
            }
        }
    }

    synchronized IotlbHandle findOrCreate(long tag) {
        IotlbHandle h = find(tag);
        if (h != null) {
            return h;
        }
        Slots s = slots;
        if ((all.size() + 1) * 2 > s.tags.length) {
            Slots grown = new Slots(s.tags.length * 2);
            for (IotlbHandle old : all) {
                insert(grown, old);
            }
            slots = grown;
            s = grown;
        }
        h = new IotlbHandle(iotlb, tag);
        insert(s, h);
        all.add(h);
        return h;
    }

    private static void insert(Slots s, IotlbHandle h) {
        int mask = s.tags.length - 1;
        int i = slot(h.tag, mask);
        while (s.tags[i] != 0) {
            i = (i + 1) & mask;
        }
        s.handles[i] = h;
        LONGS.setRelease(s.tags, i, h.tag);
    }

    private static int slot(long tag, int mask) {
        return (int) ((tag * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    /** Handles whose tag word the predicate accepts (caller holds the monitor). */
    List<IotlbHandle> matching(Predicate<IotlbHandle> p) {
        List<IotlbHandle> out = new ArrayList<>();
        for (IotlbHandle h : all) {
            if (p.test(h)) {
                out.add(h);
            }
        }
        return out;
    }

    /** Whether the key's index is retired or free (its entry can never match). Racy, see put. */
    boolean isDead(long key) {
        return owners[indexOf(key)] == null;
    }

    /** The handle a key's index is assigned to, or null (racy read, like {@link #isDead}). */
    IotlbHandle owner(long key) {
        return owners[indexOf(key)];
    }

    void addResident(long key) {
        residents.incrementAndGet(indexOf(key));
    }

    void dropResident(long key) {
        residents.decrementAndGet(indexOf(key));
    }

    /**
     * The handle's index, assigning a fresh one if it has none; 0 if every index is in use by a
     * handle with resident entries.
     */
    synchronized long assign(IotlbHandle h) {
        long a = h.assignment;
        if ((a & INDEX_MASK) != 0) {
            return a;
        }
        if (freeCount == 0) {
            reclaim();
            if (freeCount == 0) {
                return a;
            }
        }
        int index = free[--freeCount];
        owners[index] = h;
        long assigned = ((a >>> INDEX_BITS) + 1) << INDEX_BITS | index;
        h.assignment = assigned;
        return assigned;
    }

    /**
     * Retires the handle's index (caller holds the monitor and bumps the generation after); returns
     * the entries that thereby became unreachable.
     */
    int retire(IotlbHandle h) {
        long a = h.assignment;
        int index = (int) (a & INDEX_MASK);
        if (index == 0) {
            return 0;
        }
        h.assignment = ((a >>> INDEX_BITS) + 1) << INDEX_BITS;
        owners[index] = null;
        quarantine[quarantined++] = index;
        return residents.get(index);
    }

    private void reclaim() {
        if (quarantined == 0) {
            for (IotlbHandle h : all) {
                int index = (int) (h.assignment & INDEX_MASK);
                if (index != 0 && residents.get(index) == 0) {
                    retire(h);
                }
            }
            if (quarantined == 0) {
                return;
            }
            bumpGeneration.run();
        }
        sweep();
    }

    /** Removes every dead entry and frees the quarantined indices. */
    void sweep() {
        iotlb.table().removeIf((key, value) -> {
            if (owners[indexOf(key)] == null) {
                residents.decrementAndGet(indexOf(key));
                return true;
            }
            return false;
        });
        for (int i = 0; i < quarantined; i++) {
            residents.set(quarantine[i], 0);
            free[freeCount++] = quarantine[i];
        }
        quarantined = 0;
    }

    synchronized int quarantinedCount() {
        return quarantined;
    }
}
