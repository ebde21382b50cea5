package io.nestor.core.cache;

/**
 * A resolved IOTLB tag: one (unit, domain tag, address-space tag, {@link IotlbKind}) of one
 * {@link Iotlb}, as hardware resolves a DID / PASID to a TLB tag once per configuration. The
 * translation path gets it from {@link Iotlb#handle} when it decodes a configuration and keeps it in
 * its configuration-cache entry; each hit then needs only the handle and the address
 * ({@link Iotlb#lookup(IotlbHandle, long)}).
 *
 * <p>Invariants: an Iotlb holds exactly one handle per tag tuple, for its lifetime, so any two
 * callers with the same tags share it (and an invalidation reaches both). The handle's entries are
 * keyed by a small <em>index</em> it holds while it has entries; invalidating the whole tag
 * <em>retires</em> the index (O(1): its entries can never match again and are reclaimed lazily),
 * and the next fill takes a fresh index. A handle is bound to the Iotlb that made it.
 */
public final class IotlbHandle {
    final Iotlb owner;
    /** The tag word of {@link Iotlb#tag}. */
    final long tag;
    /**
     * {@code serial << TagHandles.INDEX_BITS | index}; index 0 = no index (nothing cached). Written
     * only under the owner's handle lock; the serial makes every assignment and retirement a new
     * value, so a reader that sees the same word before and after a probe knows the index was this
     * handle's throughout.
     */
    volatile long assignment;
    /**
     * Page sizes this handle may have cached (bit {@code s}: pages of {@code 2^s} bytes), set with a
     * volatile read-modify-write before a fill is admitted and never cleared (a stale bit costs one
     * extra probe). Read plainly on the hit path.
     */
    long sizes;

    IotlbHandle(Iotlb owner, long tag) {
        this.owner = owner;
        this.tag = tag;
    }

    public int unit() {
        return CacheTags.unit(tag);
    }

    public int domainTag() {
        return CacheTags.domainTag(tag);
    }

    public int addressSpaceTag() {
        return CacheTags.addressSpaceTag(tag);
    }

    public IotlbKind kind() {
        return Iotlb.kindOf(tag);
    }

    @Override
    public String toString() {
        return "IotlbHandle[unit " + unit() + ", domain " + domainTag() + ", address space " + addressSpaceTag()
                + ", " + kind() + ", index " + (assignment & TagHandles.INDEX_MASK) + "]";
    }
}
