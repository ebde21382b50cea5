package io.nestor.core.vfio;

/**
 * {@code struct vfio_bitmap} without its user pointer: the page size one bit stands for and the
 * bytes of bitmap the caller offers. The bitmap itself comes back as the call's result, in
 * little-endian 64-bit words, {@link #bytesFor} bytes long.
 */
public record VfioBitmap(long pgsize, long size) {

    /**
     * {@code DIRTY_BITMAP_SIZE_MAX}: {@code INT_MAX} pages' worth of bits, rounded to 64-bit words
     * (256 MiB of bitmap, 8 TiB of 4 KiB pages), the largest bitmap type1 fills.
     */
    public static final long SIZE_MAX = bytesFor(Integer.MAX_VALUE);

    /** {@code DIRTY_BITMAP_BYTES(n)}: bytes of whole 64-bit words holding {@code pages} bits. */
    public static long bytesFor(long pages) {
        return ((pages + 63) >>> 6) << 3;
    }
}
