package io.nestor.core.iommufd;

/**
 * One mapped area of an IOAS ({@code struct iopt_area}): IOVAs {@code [iova, last]} map bytes
 * {@code [offset, offset + length)} of {@code pages} with {@code prot}.
 *
 * <p>Areas are the unit of UNMAP: the kernel never splits one (outside VFIO compatibility). Each
 * area also is the unit of mirroring into a paging domain: every leaf a domain holds for it lies
 * inside it, so removing a whole area never needs a block split.
 *
 * @param prot {@link io.nestor.api.pagetable.Permission} READ / WRITE bits
 */
record IoasArea(long iova, long last, PinnedPages pages, long offset, int prot) {

    long length() {
        return last - iova + 1;
    }

    /** {@code area->page_offset}: where in its host page the area's first byte lies. */
    long pageOffset(long pageSize) {
        return (pages.sourceStart() + offset) & (pageSize - 1);
    }

    @Override
    public String toString() {
        return String.format("area[0x%x, 0x%x]", iova, last);
    }
}
