package io.nestor.core.ioasid;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.List;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * The PASIDs of one context (client session) — an IOASID set of the kernel series, as VFIO's
 * per-VM {@code vfio_mm} used it: allocation within a quota, free, references for users of a PASID
 * (bindings), the lowest PASID in a range, and freeing a range or everything when the context
 * closes.
 *
 * <p>Ownership: a set can only use and free its own PASIDs. Errno, from the series'
 * {@code ioasid_get_locked} / {@code ioasid_find}: a PASID that is not allocated → {@code EINVAL}
 * for get / put / free, {@code ENOENT} for {@link #find}; one another set owns → {@code EACCES};
 * one its owner already freed while others still hold it → {@code EBUSY} for {@link #get} (checked
 * before ownership, as there). The kernel's {@code ioasid_free} stayed silent about a foreign or
 * unknown PASID; here a single free answers {@code EINVAL} / {@code EACCES} like get does, while
 * {@link #freeRange} keeps VFIO's silent semantics (it frees only this set's PASIDs).
 *
 * <p>Quota accounting follows the series: a PASID counts against the quota from allocation until it
 * really leaves the space — a PASID freed by its owner but still referenced by a user still counts.
 *
 * <p>Thread-safe: every method takes the space's lock. {@link #live} and the counters are guarded
 * by it.
 */
public final class IoasidSet implements AutoCloseable {
    private final IoasidSpace space;
    private final String tag;
    /** This set's PASIDs that its owner has not freed, in order (for find-first and free-range). */
    final TreeSet<Integer> live = new TreeSet<>();
    /** PASIDs counted against the quota: {@link #live} plus freed-but-referenced ones. */
    int count;
    int quota;
    boolean closed;

    IoasidSet(IoasidSpace space, String tag, int quota) {
        this.space = space;
        this.tag = tag;
        this.quota = quota;
    }

    public String tag() {
        return tag;
    }

    public int quota() {
        synchronized (space.lock) {
            return quota;
        }
    }

    /** PASIDs counted against the quota. */
    public int count() {
        synchronized (space.lock) {
            return count;
        }
    }

    public boolean isClosed() {
        synchronized (space.lock) {
            return closed;
        }
    }

    /** This set's PASIDs that are allocated and not freed, lowest first. */
    public List<Integer> pasids() {
        synchronized (space.lock) {
            return List.copyOf(live);
        }
    }

    /**
     * Allocates a PASID in {@code [min, max]} ({@code ioasid_alloc} as VFIO's PASID request calls
     * it). Check order: range ({@code EINVAL}: beyond 31 bits or {@code min > max}), platform without
     * PASIDs ({@code EOPNOTSUPP}), closed set ({@code EINVAL}), quota ({@code ENOSPC}), no free PASID
     * in the range of the space, or the custom allocator failing ({@code ENOSPC}).
     */
    public int allocate(int min, int max) {
        synchronized (space.lock) {
            return space.allocateLocked(this, min, max);
        }
    }

    /**
     * Looks a PASID up for use without taking a reference ({@code ioasid_find}): {@code ENOENT} if it
     * is not allocated, {@code EACCES} if another set owns it.
     */
    public void find(int pasid) {
        synchronized (space.lock) {
            IoasidEntry e = space.entryLocked(pasid);
            if (e == null) {
                throw IommuException.of(Errno.ENOENT, "PASID %d is not allocated", pasid);
            }
            if (e.owner != this) {
                throw IommuException.of(Errno.EACCES, "PASID %d does not belong to set %s", pasid, tag);
            }
        }
    }

    /**
     * Takes a reference on one of this set's PASIDs, for a user such as a device binding
     * ({@code ioasid_get}): {@code EINVAL} if not allocated, {@code EBUSY} if being freed,
     * {@code EACCES} if another set owns it.
     */
    public void get(int pasid) {
        synchronized (space.lock) {
            IoasidEntry e = space.entryLocked(pasid);
            if (e == null) {
                throw IommuException.of(Errno.EINVAL, "PASID %d is not allocated", pasid);
            }
            if (e.freePending) {
                throw IommuException.of(Errno.EBUSY, "PASID %d is being freed", pasid);
            }
            if (e.owner != this) {
                throw IommuException.of(Errno.EACCES, "PASID %d does not belong to set %s", pasid, tag);
            }
            e.refs++;
        }
    }

    /**
     * Drops a reference taken by {@link #get} ({@code ioasid_put}); returns whether that released
     * the PASID. {@code EINVAL} if not allocated, {@code EACCES} if another set owns it.
     */
    public boolean put(int pasid) {
        synchronized (space.lock) {
            return space.putLocked(owned(pasid));
        }
    }

    /**
     * Frees one of this set's PASIDs ({@code ioasid_free}): the owner's reference goes; the PASID
     * leaves the space now, or — after the space's {@link IoasidFreeListener}s are told — when the
     * last user puts it. Freeing one that is already being freed does nothing. {@code EINVAL} if not allocated, {@code EACCES} if another set owns it.
     */
    public void free(int pasid) {
        synchronized (space.lock) {
            space.freeLocked(owned(pasid));
        }
    }

    /**
     * The lowest of this set's PASIDs in {@code [min, max]} that its owner has not freed — the
     * lookup behind VFIO's PASID free-range ({@code vfio_find_pasid}). {@code EINVAL} for a bad range.
     */
    public OptionalInt findFirst(int min, int max) {
        IoasidSpace.checkRange(min, max);
        synchronized (space.lock) {
            Integer p = live.ceiling(min);
            return p != null && p <= max ? OptionalInt.of(p) : OptionalInt.empty();
        }
    }

    /**
     * Frees every PASID of this set in {@code [min, max]} ({@code vfio_pasid_free_range}); PASIDs of
     * other sets and unallocated values in the range are left alone, silently. Returns how many were
     * freed. {@code EINVAL} for a bad range, before anything is freed.
     */
    public int freeRange(int min, int max) {
        IoasidSpace.checkRange(min, max);
        synchronized (space.lock) {
            int freed = 0;
            for (Integer p = live.ceiling(min); p != null && p <= max; p = live.ceiling(p)) {
                space.freeLocked(space.entryLocked(p));
                freed++;
            }
            return freed;
        }
    }

    /** Frees every PASID of this set ({@code ioasid_free_all_in_set}); returns how many. */
    public int freeAll() {
        return freeRange(0, Integer.MAX_VALUE);
    }

    /**
     * Changes the quota ({@code ioasid_adjust_set}): {@code EINVAL} for a quota that is not positive
     * or below the PASIDs counted now, {@code ENOSPC} if growing needs more than the available
     * capacity.
     */
    public void adjustQuota(int newQuota) {
        synchronized (space.lock) {
            if (closed) {
                throw IommuException.of(Errno.EINVAL, "PASID set %s is closed", tag);
            }
            space.adjustQuotaLocked(this, newQuota);
        }
    }

    /**
     * Closes the set when its context goes: frees all its PASIDs; the set, its tag and its quota
     * reservation are released once no PASID of it is left (users may still hold references, as
     * with the series' {@code free_pending} sets). Idempotent.
     */
    @Override
    public void close() {
        synchronized (space.lock) {
            if (closed) {
                return;
            }
            freeAll();
            closed = true;
            if (count == 0) {
                space.releaseSetLocked(this);
            }
        }
    }

    private IoasidEntry owned(int pasid) {
        IoasidEntry e = space.entryLocked(pasid);
        if (e == null) {
            throw IommuException.of(Errno.EINVAL, "PASID %d is not allocated", pasid);
        }
        if (e.owner != this) {
            throw IommuException.of(Errno.EACCES, "PASID %d does not belong to set %s", pasid, tag);
        }
        return e;
    }

    @Override
    public String toString() {
        return "IoasidSet[" + tag + "]";
    }
}
