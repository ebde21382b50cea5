package io.nestor.api.ioasid;

/**
 * A custom PASID allocator, the analogue of the kernel's {@code struct ioasid_allocator_ops}
 * ({@code alloc(min, max, data)} / {@code free(id, data)}), registered as an OSGi service.
 *
 * <p>While at least one is registered, the core's PASID space asks the first registered one for
 * every new PASID instead of choosing it itself; when that one leaves, the next registered one
 * (in registration order) takes over, and when none is left the core's default allocator does.
 * The core keeps the record of every PASID handed out: ownership (which context), quotas, and
 * whether a PASID is live are the core's business, not the allocator's. A PASID an allocator
 * handed out therefore stays valid after the allocator leaves, and the core never hands one
 * out twice.
 *
 * <p>Both methods are called with the core's PASID lock held (as the kernel calls the ops under
 * {@code ioasid_allocator_lock}): an implementation must answer without blocking for long and
 * must not call back into the platform's PASID operations.
 */
public interface IoasidAllocator {

    /**
     * Chooses a PASID in {@code [min, max]} (both inclusive, within the platform's PASID width,
     * never 0) that this allocator has not handed out, and remembers it as handed out.
     *
     * <p>If it returns a PASID that is still live in the core from an earlier allocator (one that
     * has left, or the default allocator before this one arrived), the core does not hand it out
     * again: it records that this allocator now holds that PASID for its existing owner — so this
     * allocator receives its {@link #free} when that owner frees it — and asks again. A PASID
     * outside {@code [min, max]} is given straight back through {@link #free} and the request
     * fails with {@code ENOSPC}.
     *
     * @param contextTag the tag of the context (client session) that asks, for allocators that
     *     keep per-context accounts; informational
     * @return the chosen PASID
     * @throws io.nestor.api.error.IommuException with {@code ENOSPC} when it has none left in the
     *     range (the kernel's {@code INVALID_IOASID}); the core reports any failure of this method
     *     to its caller as {@code ENOSPC}
     */
    int alloc(int min, int max, String contextTag);

    /**
     * Takes back a PASID this allocator handed out, once its owner freed it and no user is left.
     * Called only for PASIDs this allocator returned from {@link #alloc}, and only while it is
     * registered. Must not throw; a failure is logged
     * and ignored, as the kernel's {@code free} op returns nothing.
     *
     * @param pasid the PASID
     * @param contextTag the tag of the context that owned it
     */
    void free(int pasid, String contextTag);
}
