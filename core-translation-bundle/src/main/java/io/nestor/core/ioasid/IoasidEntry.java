package io.nestor.core.ioasid;

import io.nestor.api.ioasid.IoasidAllocator;

/**
 * The core's record of one allocated PASID — the kernel's {@code struct ioasid_data}: its owning
 * set, the allocator that holds it, its reference count and whether its owner has freed it.
 *
 * <p>Invariants (all fields are guarded by the owning {@link IoasidSpace}'s lock): {@code refs >= 1}
 * while the entry is in the space; the owner's own reference is dropped exactly once, by the first
 * free, which also sets {@code freePending}; the entry leaves the space when {@code refs} reaches 0.
 */
final class IoasidEntry {
    final int pasid;
    final IoasidSet owner;
    /** The custom allocator that holds this PASID, or {@code null} for the default allocator. */
    IoasidAllocator origin;
    int refs = 1;
    /**
     * The owner freed it while other users still held references ({@code IOASID_STATE_FREE_PENDING}):
     * it is no longer the owner's to use or free, and cannot be taken again, but stays allocated
     * until the last user puts it.
     */
    boolean freePending;

    IoasidEntry(int pasid, IoasidSet owner, IoasidAllocator origin) {
        this.pasid = pasid;
        this.owner = owner;
        this.origin = origin;
    }
}
