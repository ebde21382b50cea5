package io.nestor.core.ioasid;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.ioasid.IoasidAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The registered custom allocators of one {@link IoasidSpace}, in registration order, and the
 * negotiation with the active one — the kernel's {@code allocators_list} /
 * {@code active_allocator}.
 *
 * <p>Rules (kernel {@code ioasid_register_allocator} / {@code ioasid_unregister_allocator}): the
 * first registered allocator is active; later ones wait in order and the next one becomes active
 * when the active one leaves; registering the same instance twice is {@code EEXIST}; unregistering
 * an unknown one does nothing.
 *
 * <p>Where Nestor differs, on purpose: the kernel refused a first custom allocator with
 * {@code EAGAIN} while the default allocator had IDs outstanding, and warned that IDs a leaving
 * allocator had handed out became orphans. Here the space keeps one record of every live PASID
 * whatever produced it, so neither switch loses anything: an allocator may arrive at any time
 * (a PASID it returns that is still live from an earlier source is adopted, see
 * {@link #allocate}); when it leaves, its PASIDs stay valid and are simply not given back to it.
 *
 * <p>Not thread-safe by itself: every method runs under the owning space's lock.
 */
final class IoasidAllocatorChain {
    private static final System.Logger LOG = System.getLogger(IoasidAllocatorChain.class.getName());

    private final List<IoasidAllocator> registered = new ArrayList<>();

    void register(IoasidAllocator allocator) {
        if (allocator == null) {
            throw IommuException.of(Errno.EINVAL, "custom PASID allocator is null");
        }
        if (indexOf(allocator) >= 0) {
            throw IommuException.of(Errno.EEXIST, "PASID allocator %s is already registered", allocator);
        }
        registered.add(allocator);
    }

    boolean unregister(IoasidAllocator allocator) {
        int i = indexOf(allocator);
        if (i < 0) {
            return false;
        }
        registered.remove(i);
        return true;
    }

    Optional<IoasidAllocator> active() {
        return registered.isEmpty() ? Optional.empty() : Optional.of(registered.get(0));
    }

    boolean isRegistered(IoasidAllocator allocator) {
        return indexOf(allocator) >= 0;
    }

    /**
     * Asks {@code allocator} for a PASID in {@code [lo, hi]} that is not live in {@code live}.
     *
     * <p>A returned PASID that is live from another source (the default allocator, or an allocator
     * that has left) is adopted: the allocator believes it handed it out, so the entry is recorded
     * as held by it — it will get the free when the existing owner frees it — and it is asked
     * again. Each adoption converts one entry, so the loop ends. A PASID live from this very
     * allocator is its own bug: refused without a free (the PASID is still in use).
     */
    int allocate(IoasidAllocator allocator, int lo, int hi, String tag, Map<Integer, IoasidEntry> live) {
        while (true) {
            int pasid = ask(allocator, lo, hi, tag);
            if (pasid < lo || pasid > hi) {
                giveBack(allocator, pasid, tag);
                throw IommuException.of(Errno.ENOSPC,
                        "PASID allocator %s returned PASID %d outside the requested range [%d, %d]", allocator,
                        pasid, lo, hi);
            }
            IoasidEntry existing = live.get(pasid);
            if (existing == null) {
                return pasid;
            }
            if (existing.origin == allocator) {
                throw IommuException.of(Errno.ENOSPC,
                        "PASID allocator %s returned PASID %d, which it had already handed out and is still live",
                        allocator, pasid);
            }
            existing.origin = allocator;
        }
    }

    /** Hands a released PASID back to the allocator that holds it, if that one is still registered. */
    void release(IoasidEntry entry) {
        IoasidAllocator origin = entry.origin;
        if (origin != null && isRegistered(origin)) {
            giveBack(origin, entry.pasid, entry.owner.tag());
        }
    }

    private static int ask(IoasidAllocator allocator, int lo, int hi, String tag) {
        try {
            return allocator.alloc(lo, hi, tag);
        } catch (IommuException e) {
            // ioasid_alloc reports every allocator failure as INVALID_IOASID; VFIO made that ENOSPC.
            throw new IommuException(Errno.ENOSPC, "PASID allocator " + allocator + " found no PASID in ["
                    + lo + ", " + hi + "]: " + e.rawMessage(), e);
        } catch (RuntimeException e) {
            throw new IommuException(Errno.ENOSPC, "PASID allocator " + allocator + " failed for [" + lo + ", "
                    + hi + "]: " + e, e);
        }
    }

    private static void giveBack(IoasidAllocator allocator, int pasid, String tag) {
        try {
            allocator.free(pasid, tag);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "PASID allocator " + allocator + " failed to free PASID " + pasid, e);
        }
    }

    private int indexOf(IoasidAllocator allocator) {
        // Identity, not equals(): two service objects are two allocators even if they compare equal.
        for (int i = 0; i < registered.size(); i++) {
            if (registered.get(i) == allocator) {
                return i;
            }
        }
        return -1;
    }
}
