package io.nestor.core.iommufd;

/**
 * A slice of {@link PinnedPages} to become one area ({@code struct iopt_pages_list}): bytes
 * {@code [offset, offset + length)} of the pages.
 */
record PagesSlice(PinnedPages pages, long offset, long length) {

    /** The source address of the slice's first byte: what automatic IOVA allocation aligns to. */
    long sourceAddress() {
        return pages.sourceStart() + offset;
    }
}
