package io.nestor.core.ioasid;

import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.ioasid.IoasidAllocator;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The platform's one system-wide PASID space — the kernel's IOASID allocator
 * ({@code drivers/iommu/ioasid.c}) with the IOASID-set extensions of Jacob Pan's series.
 *
 * <p>The space holds PASIDs {@code 1 .. 2^width - 1}; its width comes from the units
 * ({@link PasidSpaceWidth}). PASID 0 is never allocated: it is VT-d's {@code RID_PASID} (the PASID
 * that DMA without a PASID prefix uses, {@code IOMMU_NO_PASID}) and SMMUv3's SubstreamID 0 (the
 * substream of transactions without one), which is why the kernel's VT-d and SVA code allocate from
 * {@code PASID_MIN = 1}. No other value is reserved by the kernel.
 *
 * <p>Clients allocate through per-context {@link IoasidSet}s ({@link #openSet}). Each set has a
 * quota reserved from the space's capacity when the set is opened ({@code ioasid_set_alloc}), so
 * the quotas of all open sets never exceed the capacity. The space keeps the record of every live
 * PASID — owner, holder, references — whichever allocator chose it: the default allocator (lowest
 * free PASID in the requested range, as {@code xa_alloc}) or a custom
 * {@link io.nestor.api.ioasid.IoasidAllocator} registered through {@link #registerAllocator} (see
 * {@link IoasidAllocatorChain} for the switching rules). A PASID freed by its owner while users
 * hold references stays allocated until the last one is put; {@link IoasidFreeListener}s are told,
 * so that those users can let go.
 *
 * <p>Thread-safe: one lock (the kernel's {@code ioasid_allocator_lock}) guards the space, its sets
 * and its entries; custom allocators are called with it held. Control path only — the translation
 * path never takes it.
 */
public final class IoasidSpace {

    /** The PASID of requests without a PASID prefix; never allocated. */
    public static final int RID_PASID = 0;

    final Object lock = new Object();
    private final int widthBits;
    private final int maxPasid;
    private final BitSet used = new BitSet();
    private final Map<Integer, IoasidEntry> entries = new HashMap<>();
    private final Map<String, IoasidSet> sets = new LinkedHashMap<>();
    private final IoasidAllocatorChain allocators = new IoasidAllocatorChain();
    private final List<IoasidFreeListener> freeListeners = new CopyOnWriteArrayList<>();
    private int availableCapacity;

    /** A space of PASIDs {@code 1 .. 2^widthBits - 1}; width 0 is a platform without PASIDs. */
    public IoasidSpace(int widthBits) {
        if (widthBits < 0 || widthBits > PasidSpaceWidth.PCIE_MAX_BITS) {
            throw new IllegalArgumentException("PASID width must be 0.." + PasidSpaceWidth.PCIE_MAX_BITS
                    + ", got " + widthBits);
        }
        this.widthBits = widthBits;
        this.maxPasid = widthBits == 0 ? 0 : (1 << widthBits) - 1;
        this.availableCapacity = capacity();
    }

    /** The space for a platform with these units ({@link PasidSpaceWidth#of}). */
    public static IoasidSpace forUnits(Collection<UnitFeatures> units) {
        return new IoasidSpace(PasidSpaceWidth.of(units));
    }

    public int widthBits() {
        return widthBits;
    }

    /** The largest PASID of the space; 0 when the platform has none. */
    public int maxPasid() {
        return maxPasid;
    }

    /** How many PASIDs the space can hand out: all but {@link #RID_PASID}. */
    public int capacity() {
        return maxPasid;
    }

    /** Capacity not reserved by the quota of an open (or not yet released) set. */
    public int availableCapacity() {
        synchronized (lock) {
            return availableCapacity;
        }
    }

    /** PASIDs currently allocated, including those freed by their owner but still referenced. */
    public int allocatedCount() {
        synchronized (lock) {
            return entries.size();
        }
    }

    public boolean isAllocated(int pasid) {
        synchronized (lock) {
            return entries.containsKey(pasid);
        }
    }

    /** The tag of the set that owns {@code pasid}, if it is allocated. */
    public Optional<String> ownerTag(int pasid) {
        synchronized (lock) {
            IoasidEntry e = entries.get(pasid);
            return e == null ? Optional.empty() : Optional.of(e.owner.tag());
        }
    }

    /**
     * The lowest allocated PASID in {@code [min, max]}, whoever owns it, including one its owner
     * freed that users still hold (it cannot be handed out yet). {@link IoasidSet#findFirst} is the
     * per-context query.
     */
    public OptionalInt findFirstAllocated(int min, int max) {
        checkRange(min, max);
        synchronized (lock) {
            int p = used.nextSetBit(min);
            return p >= 0 && p <= max ? OptionalInt.of(p) : OptionalInt.empty();
        }
    }

    /**
     * Opens the PASID set of one context ({@code ioasid_set_alloc}), reserving {@code quota} PASIDs
     * of the capacity for it.
     *
     * @param tag the context's unique tag (the kernel's set token, an {@code mm} there)
     * @param quota how many PASIDs the set may hold at once; 0 means all the capacity still
     *     available, as in the series
     * @throws IommuException {@code EINVAL} for an empty tag or a negative quota, {@code EEXIST} for
     *     a tag already in use (also by a closed set whose PASIDs are still referenced),
     *     {@code ENOSPC} for a quota above the available capacity
     */
    public IoasidSet openSet(String tag, int quota) {
        if (tag == null || tag.isEmpty()) {
            throw IommuException.of(Errno.EINVAL, "PASID set tag is empty");
        }
        if (quota < 0) {
            throw IommuException.of(Errno.EINVAL, "PASID set %s: negative quota %d", tag, quota);
        }
        synchronized (lock) {
            int effective = quota == 0 ? availableCapacity : quota;
            if (effective > availableCapacity) {
                throw IommuException.of(Errno.ENOSPC, "PASID set %s: quota %d exceeds the available capacity %d",
                        tag, quota, availableCapacity);
            }
            if (sets.containsKey(tag)) {
                throw IommuException.of(Errno.EEXIST, "PASID set %s already exists", tag);
            }
            IoasidSet set = new IoasidSet(this, tag, effective);
            sets.put(tag, set);
            availableCapacity -= effective;
            return set;
        }
    }

    /** The set with {@code tag}, open or closed-but-not-yet-released. */
    public Optional<IoasidSet> set(String tag) {
        synchronized (lock) {
            return Optional.ofNullable(sets.get(tag));
        }
    }

    /**
     * Registers a custom allocator ({@code ioasid_register_allocator}); it becomes active if it is
     * the first one. {@code EEXIST} if this instance is registered already.
     */
    public void registerAllocator(IoasidAllocator allocator) {
        synchronized (lock) {
            allocators.register(allocator);
        }
    }

    /**
     * Unregisters a custom allocator; the next registered one, or the default allocator, takes over.
     * PASIDs it handed out stay allocated and valid. Returns whether it was registered.
     */
    public boolean unregisterAllocator(IoasidAllocator allocator) {
        synchronized (lock) {
            return allocators.unregister(allocator);
        }
    }

    /** The custom allocator in charge, or empty while the default allocator is. */
    public Optional<IoasidAllocator> activeAllocator() {
        synchronized (lock) {
            return allocators.active();
        }
    }

    /** Adds a listener told when a PASID still referenced by users is freed by its owner. */
    public void addFreeListener(IoasidFreeListener listener) {
        freeListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeFreeListener(IoasidFreeListener listener) {
        freeListeners.remove(listener);
    }

    // ---- operations of IoasidSet; every method below runs with the lock held ----

    /**
     * The owner frees {@code entry} ({@code ioasid_free_locked}): it stops being the owner's, its
     * reference goes, and if users still hold it they are told ({@code IOASID_NOTIFY_FREE}).
     * Freeing an entry already being freed does nothing.
     */
    void freeLocked(IoasidEntry entry) {
        if (entry.freePending) {
            return;
        }
        entry.freePending = true;
        entry.owner.live.remove(entry.pasid);
        if (!putLocked(entry)) {
            for (IoasidFreeListener l : freeListeners) {
                l.freePending(entry.owner, entry.pasid);
            }
        }
    }

    /** Allocates for {@code set}; check order: range, PASID support, open set, quota, free PASID. */
    int allocateLocked(IoasidSet set, int min, int max) {
        checkRange(min, max);
        if (widthBits == 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "no IOMMU unit supports PASIDs; cannot allocate in [%d, %d]",
                    min, max);
        }
        if (set.closed) {
            throw IommuException.of(Errno.EINVAL, "PASID set %s is closed", set.tag());
        }
        if (set.count >= set.quota) {
            throw IommuException.of(Errno.ENOSPC, "PASID set %s is at its quota of %d", set.tag(), set.quota);
        }
        int lo = Math.max(min, RID_PASID + 1);
        int hi = Math.min(max, maxPasid);
        if (lo > hi) {
            throw IommuException.of(Errno.ENOSPC, "no PASID of the %d-bit space lies in [%d, %d]", widthBits, min,
                    max);
        }
        Optional<IoasidAllocator> custom = allocators.active();
        int pasid;
        if (custom.isPresent()) {
            pasid = allocators.allocate(custom.get(), lo, hi, set.tag(), entries);
        } else {
            pasid = used.nextClearBit(lo);
            if (pasid > hi) {
                throw IommuException.of(Errno.ENOSPC, "every PASID in [%d, %d] is allocated", lo, hi);
            }
        }
        IoasidEntry entry = new IoasidEntry(pasid, set, custom.orElse(null));
        entries.put(pasid, entry);
        used.set(pasid);
        set.live.add(pasid);
        set.count++;
        return pasid;
    }

    /** The entry for {@code pasid}, or {@code null}. */
    IoasidEntry entryLocked(int pasid) {
        return entries.get(pasid);
    }

    /**
     * Drops one reference; when none is left the PASID leaves the space, goes back to the
     * allocator that holds it and stops counting against its set's quota
     * ({@code ioasid_do_free_locked}).
     */
    boolean putLocked(IoasidEntry entry) {
        if (--entry.refs > 0) {
            return false;
        }
        entries.remove(entry.pasid);
        used.clear(entry.pasid);
        entry.owner.live.remove(entry.pasid);
        entry.owner.count--;
        allocators.release(entry);
        if (entry.owner.closed && entry.owner.count == 0) {
            releaseSetLocked(entry.owner);
        }
        return true;
    }

    /** Changes a set's quota; the capacity reservation follows ({@code ioasid_adjust_set}). */
    void adjustQuotaLocked(IoasidSet set, int quota) {
        if (quota <= 0) {
            throw IommuException.of(Errno.EINVAL, "PASID set %s: quota must be positive, got %d", set.tag(), quota);
        }
        if (set.count > quota) {
            throw IommuException.of(Errno.EINVAL, "PASID set %s: new quota %d is below its %d allocated PASIDs",
                    set.tag(), quota, set.count);
        }
        if (quota > set.quota && quota - set.quota > availableCapacity) {
            throw IommuException.of(Errno.ENOSPC, "PASID set %s: growing the quota from %d to %d needs %d, only %d"
                    + " available", set.tag(), set.quota, quota, quota - set.quota, availableCapacity);
        }
        availableCapacity += set.quota - quota;
        set.quota = quota;
    }

    /** A closed set whose last PASID is gone gives its tag and its reservation back. */
    void releaseSetLocked(IoasidSet set) {
        if (sets.get(set.tag()) == set) {
            sets.remove(set.tag());
            availableCapacity += set.quota;
        }
    }

    /**
     * Range arguments as VFIO's PASID request checks them: 31-bit values, min not above max.
     * {@code min} and {@code max} are the request's u32 fields.
     */
    public static void checkRange(int min, int max) {
        if (min < 0 || max < 0) {
            throw IommuException.of(Errno.EINVAL, "PASID range [%d, %d] is beyond 31 bits", Integer.toUnsignedLong(min),
                    Integer.toUnsignedLong(max));
        }
        if (min > max) {
            throw IommuException.of(Errno.EINVAL, "PASID range [%d, %d] is empty: min > max", min, max);
        }
    }
}
