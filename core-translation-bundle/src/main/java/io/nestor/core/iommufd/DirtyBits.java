package io.nestor.core.iommufd;

import io.nestor.api.pagetable.PageTableFormat;

/**
 * Clearing a leaf's hardware dirty state in any {@link PageTableFormat}. The format SPI says how to
 * test ({@link PageTableFormat#dirty}) and set ({@link PageTableFormat#withDirty}) it, not how to
 * clear it, and formats mark it differently (VT-d second stage: one D bit set; VMSAv8-64 stage 2
 * with DBM: the write-permission bit S2AP[1] set). The clean form of a dirty descriptor is the one
 * that differs in a single bit, is not dirty, and becomes the original again through
 * {@code withDirty} — which identifies the marking bit whatever the format.
 */
final class DirtyBits {
    private DirtyBits() {
    }

    /** {@code descriptor} with its dirty state cleared; unchanged when it is not dirty. */
    static long clear(PageTableFormat format, long descriptor) {
        if (!format.dirty(descriptor)) {
            return descriptor;
        }
        for (int bit = 0; bit < 64; bit++) {
            long m = 1L << bit;
            if ((descriptor & m) == 0) {
                continue;
            }
            long clean = descriptor & ~m;
            if (!format.dirty(clean) && format.withDirty(clean) == descriptor) {
                return clean;
            }
        }
        throw new IllegalStateException(String.format("%s: no single bit marks descriptor 0x%x dirty",
                format.name(), descriptor));
    }
}
