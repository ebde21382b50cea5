package io.nestor.core.iommufd;

import io.nestor.api.error.IommuException;

/**
 * A paging domain an IOAS mirrors its areas into (the {@code iommu_domain} of an HWPT_PAGING as
 * {@code io_pagetable.c} uses it): a page table with a set of page sizes and an aperture.
 *
 * <p>Contract, which the IOAS relies on for all-or-nothing commands:
 * <ul>
 *   <li>{@link #map} maps all of the range or, when it throws, leaves the domain exactly as before.</li>
 *   <li>{@link #unmap} of a range made of whole earlier {@link #map} calls never fails (it needs no
 *       allocation: no leaf straddles its edges).</li>
 *   <li>After {@link #unmap} returns, no device translates through what was removed: an
 *       implementation serving live DMA invalidates its IOTLB before returning, and frees table
 *       pages only after that.</li>
 * </ul>
 */
public interface PagingDomain {

    /** Supported leaf sizes ({@code pgsize_bitmap}: bit n set = 2^n bytes); the lowest is the granule. */
    long pageSizes();

    /** The IOVAs the domain can translate ({@code domain->geometry}), inclusive. */
    IovaRange aperture();

    /**
     * Maps {@code [iova, iova + length)} to host physical {@code [pa, pa + length)}.
     *
     * @param prot {@link io.nestor.api.pagetable.Permission} bits
     * @throws IommuException ENOMEM when table pages run out, or the format's errno; nothing changed
     */
    void map(long iova, long pa, long length, int prot);

    /**
     * Unmaps {@code [iova, iova + length)}.
     *
     * @return bytes that were mapped there
     */
    long unmap(long iova, long length);

    /** Frees every table page; the domain is unusable afterwards. Called once, after the last detach. */
    void free();
}
