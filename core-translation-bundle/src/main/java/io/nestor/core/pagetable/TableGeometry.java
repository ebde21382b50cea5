package io.nestor.core.pagetable;

import io.nestor.api.pagetable.PageTableFormat;

/**
 * Index arithmetic shared by the walker and the builder: which entry of which table an address
 * selects at a level, counting the root's concatenated tables as one wider table.
 *
 * <p>Static and allocation-free: called on every level of every walk.
 */
public final class TableGeometry {
    private TableGeometry() {
    }

    /**
     * Index bits at {@code level}; at the root this includes log2 of the number of concatenated
     * root tables, so one index spans them all (they are contiguous in memory).
     */
    public static int indexBits(PageTableFormat format, int level) {
        int bits = format.indexBits(level);
        if (level == format.levels() - 1) {
            bits += Integer.numberOfTrailingZeros(format.rootTableCount());
        }
        return bits;
    }

    /** The entry index that {@code address} selects at {@code level}. */
    public static int index(PageTableFormat format, int level, long address) {
        return (int) ((address >>> format.levelShift(level)) & ((1L << indexBits(format, level)) - 1));
    }

    /** Bytes of input address covered by one entry at {@code level}. */
    public static long entrySize(PageTableFormat format, int level) {
        return 1L << format.levelShift(level);
    }
}
