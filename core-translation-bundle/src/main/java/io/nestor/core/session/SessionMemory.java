package io.nestor.core.session;

import io.nestor.api.error.IommuException;

/**
 * The memory of one client session as the iommufd layer sees it: session virtual addresses and
 * memory-region handles that resolve to host physical runs, and pins that keep them valid.
 *
 * <p>This is the analogue of the process address space and the memfds that {@code IOMMU_IOAS_MAP}
 * and {@code IOMMU_IOAS_MAP_FILE} pin pages from ({@code pin_user_pages} / {@code memfd_pin_folios}
 * in {@code drivers/iommu/iommufd/pages.c}). Regions are created and destroyed elsewhere; a region
 * under a pin refuses to be destroyed.
 */
public interface SessionMemory {

    /**
     * Pins {@code [va, va + length)} of the session's address space.
     *
     * @param write whether the pin is for DMA writes (the kernel pins with {@code FOLL_WRITE})
     * @throws IommuException EFAULT when part of the range is not session memory, or {@code write}
     *     is asked of a read-only region (what {@code pin_user_pages} answers)
     */
    PinnedRange pinVirtual(long va, long length, boolean write);

    /**
     * Pins {@code [offset, offset + length)} of the region with handle {@code regionId} (the
     * {@code fd} of {@code IOMMU_IOAS_MAP_FILE}).
     *
     * @throws IommuException EBADF for an unknown handle, EINVAL for a range beyond the region's
     *     end, EPERM for {@code write} on a read-only region
     */
    PinnedRange pinRegion(int regionId, long offset, long length, boolean write);

    /**
     * Whether {@code regionId} names a region now (MAP_FILE's {@code fget} step, before any IOVA
     * is chosen).
     */
    boolean hasRegion(int regionId);
}
