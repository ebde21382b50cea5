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
}
