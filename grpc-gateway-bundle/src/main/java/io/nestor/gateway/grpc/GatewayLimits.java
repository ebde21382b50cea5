package io.nestor.gateway.grpc;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;

/**
 * The gateway's size limits. Every message in either direction is at most
 * {@link #MAX_MESSAGE_BYTES} (the server refuses larger requests with RESOURCE_EXHAUSTED before a
 * handler runs); a read asks for at most {@link #MAX_READ_BYTES}, so that its reply fits. The
 * configuration may lower the limit on requests ({@link GatewayConfig#MAX_INBOUND_MESSAGE_KEY}),
 * never raise it.
 */
public final class GatewayLimits {
    /** 16 MiB: a batch of hundreds of thousands of translations, or 4096 pages of data. */
    public static final int MAX_MESSAGE_BYTES = 16 << 20;
    /** Room for the reply's framing around the data. */
    public static final int MAX_READ_BYTES = MAX_MESSAGE_BYTES - 4096;

    private GatewayLimits() {
    }

    /**
     * Checks a read's length.
     *
     * @throws IommuException EINVAL naming the length and the limit
     */
    public static int checkReadLength(int length) {
        if (length < 0 || length > MAX_READ_BYTES) {
            throw IommuException.of(Errno.EINVAL, "read length %d exceeds the gateway's limit of %d bytes",
                    Integer.toUnsignedLong(length), MAX_READ_BYTES);
        }
        return length;
    }

    /**
     * Checks that a dirty bitmap of {@code length} bytes of IOVA at one bit per {@code pageSize}
     * bytes fits a reply. The kernel writes the bitmap into the caller's memory; here it travels in
     * the reply, so its size is bounded like a read's. A zero page size is left to the core's check.
     *
     * @throws IommuException EINVAL naming the length, the page size and the limit
     */
    public static void checkBitmapReply(long length, long pageSize) {
        if (pageSize == 0) {
            return;
        }
        long pages = Long.divideUnsigned(length, pageSize) + 1; // + 1: a range need not start on a page
        if (Long.compareUnsigned(pages, (long) MAX_READ_BYTES * Byte.SIZE) > 0) {
            throw IommuException.of(Errno.EINVAL, "a dirty bitmap of length 0x%x at page_size 0x%x exceeds the "
                    + "gateway's reply limit of %d bytes", length, pageSize, MAX_READ_BYTES);
        }
    }

    /**
     * Checks the size of a bitmap buffer a VFIO request offers ({@code struct vfio_bitmap.size}),
     * which the reply carries back.
     *
     * @throws IommuException EINVAL naming the size and the limit
     */
    public static long checkBitmapBuffer(long size) {
        if (Long.compareUnsigned(size, MAX_READ_BYTES) > 0) {
            throw IommuException.of(Errno.EINVAL, "bitmap size %s exceeds the gateway's reply limit of %d bytes",
                    Long.toUnsignedString(size), MAX_READ_BYTES);
        }
        return size;
    }
}
