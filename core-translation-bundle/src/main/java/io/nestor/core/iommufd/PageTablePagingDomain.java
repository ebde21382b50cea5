package io.nestor.core.iommufd;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.core.pagetable.PageTableBuilder;

/**
 * A {@link PagingDomain} whose table is built in host memory by the core's
 * {@link PageTableBuilder} over any {@link PageTableFormat}: what an HWPT_PAGING mirrors into.
 *
 * <p>The aperture defaults to the format's whole input range {@code [0, 2^ias - 1]}. The builder's
 * retire hook decides when unlinked table pages are freed; a caller whose table is walked by live
 * DMA passes one that frees only after its IOTLB invalidation.
 */
public final class PageTablePagingDomain implements PagingDomain {
    private final PageTableBuilder builder;
    private final IovaRange aperture;

    public PageTablePagingDomain(PageTableBuilder builder) {
        this(builder, new IovaRange(0, lastInput(builder.format())));
    }

    public PageTablePagingDomain(PageTableBuilder builder, IovaRange aperture) {
        this.builder = builder;
        this.aperture = aperture;
    }

    private static long lastInput(PageTableFormat format) {
        int bits = format.inputAddressBits();
        return bits >= 64 ? Iova.ULONG_MAX : (1L << bits) - 1;
    }

    /** The builder, for walks and tests. */
    public PageTableBuilder builder() {
        return builder;
    }

    @Override
    public long pageSizes() {
        return builder.pageSizes();
    }

    @Override
    public IovaRange aperture() {
        return aperture;
    }

    @Override
    public void map(long iova, long pa, long length, int prot) {
        builder.map(iova, pa, length, prot);
    }

    @Override
    public long unmap(long iova, long length) {
        return builder.unmap(iova, length);
    }

    @Override
    public void free() {
        builder.destroy();
    }

    @Override
    public String toString() {
        return "PageTablePagingDomain[" + builder + ", aperture " + aperture + "]";
    }
}
