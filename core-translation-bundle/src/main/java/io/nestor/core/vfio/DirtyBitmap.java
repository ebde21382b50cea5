package io.nestor.core.vfio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A dirty bitmap as type1 copies it to the user ({@code update_user_bitmap}): bit {@code n} stands
 * for the page of {@code pgsize} bytes at {@code base + n * pgsize}, bits packed into little-endian
 * 64-bit words, {@link VfioBitmap#bytesFor} of the range's pages long.
 */
final class DirtyBitmap {
    private final long base;
    private final int pgshift;
    private final long[] words;

    DirtyBitmap(long base, long pgsize, long pages) {
        this.base = base;
        this.pgshift = Long.numberOfTrailingZeros(pgsize);
        this.words = new long[(int) ((pages + 63) >>> 6)];
    }

    /** Marks the page holding {@code iova}. */
    void set(long iova) {
        long bit = (iova - base) >>> pgshift;
        words[(int) (bit >>> 6)] |= 1L << (bit & 63);
    }

    /** Marks every page of {@code [iova, iova + size)}. */
    void setRange(long iova, long size) {
        for (long off = 0; Long.compareUnsigned(off, size) < 0; off += 1L << pgshift) {
            set(iova + off);
        }
    }

    byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(words.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long w : words) {
            b.putLong(w);
        }
        return b.array();
    }
}
