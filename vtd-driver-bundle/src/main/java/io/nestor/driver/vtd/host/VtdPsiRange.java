package io.nestor.driver.vtd.host;

/**
 * A page-selective invalidation range as Linux {@code calculate_psi_aligned_address()}
 * (drivers/iommu/intel/cache.c) derives it from an inclusive IOVA range: the smallest naturally
 * aligned power-of-two block of 4 KiB pages covering it, since a descriptor's address mask (AM)
 * clears the low address bits.
 *
 * @param address the block's first address
 * @param mask the block is 2^mask pages; {@link #MAX_AGAW_PFN_WIDTH} means everything
 */
public record VtdPsiRange(long address, int mask) {

    /** Linux {@code MAX_AGAW_PFN_WIDTH}: 64 - 12. */
    public static final int MAX_AGAW_PFN_WIDTH = 52;

    /** The block covering {@code [start, end]} (unsigned, end inclusive). */
    public static VtdPsiRange covering(long start, long end) {
        long pfn = start >>> 12;
        long endPfn = end >>> 12;
        long pages = endPfn - pfn + 1;
        int mask = pages <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(pages - 1);
        if (mask >= MAX_AGAW_PFN_WIDTH || pages == 0) {
            return new VtdPsiRange(0, MAX_AGAW_PFN_WIDTH);
        }
        long bitmask = (1L << mask) - 1;
        if ((pfn & bitmask) != 0) {
            long shared = ~(pfn ^ endPfn) & ~bitmask;
            mask = shared != 0 ? Long.numberOfTrailingZeros(shared) : MAX_AGAW_PFN_WIDTH;
            if (mask >= MAX_AGAW_PFN_WIDTH) {
                return new VtdPsiRange(0, MAX_AGAW_PFN_WIDTH);
            }
        }
        long size = 1L << (12 + mask);
        return new VtdPsiRange(start & -size, mask);
    }

    /** Whether the block is the whole address space. */
    public boolean everything() {
        return mask >= MAX_AGAW_PFN_WIDTH;
    }
}
