package io.nestor.core.iommufd;

import io.nestor.core.session.PhysicalRun;

/**
 * Putting one area into one paging domain and taking it out again ({@code iopt_area_fill_domain}
 * / {@code iopt_area_unfill_domain} in {@code pages.c}).
 *
 * <p>Each physically contiguous run of the area's pages becomes one {@link PagingDomain#map} call,
 * so the domain may use blocks as large as the run and the alignments allow. With huge pages
 * disabled, runs are cut at host page boundaries first, so no leaf is larger than a host page (the
 * kernel's {@code batch_iommu_map_small}). Fill is all or nothing: on failure the prefix already
 * mapped is unmapped, a prefix made of whole map calls, so the unmap cannot fail.
 */
final class DomainFill {
    private DomainFill() {
    }

    static void fill(PagingDomain domain, IoasArea area, boolean smallPages, long pageSize) {
        long mapped = 0;
        try {
            long start = area.offset();
            long end = start + area.length();
            for (PhysicalRun run : area.pages().runs()) {
                long runEnd = run.offset() + run.length();
                long from = Iova.max(run.offset(), start);
                long to = Iova.min(runEnd, end);
                while (Iova.lt(from, to)) {
                    long piece = to - from;
                    if (smallPages) {
                        long source = area.pages().sourceStart() + from;
                        long toPageEnd = pageSize - (source & (pageSize - 1));
                        piece = Iova.min(piece, toPageEnd);
                    }
                    long iova = area.iova() + (from - start);
                    long pa = run.hostPhysical() + (from - run.offset());
                    domain.map(iova, pa, piece, area.prot());
                    mapped += piece;
                    from += piece;
                }
            }
        } catch (RuntimeException e) {
            if (mapped != 0) {
                domain.unmap(area.iova(), mapped);
            }
            throw e;
        }
    }

    static void unfill(PagingDomain domain, IoasArea area) {
        domain.unmap(area.iova(), area.length());
    }
}
