package io.nestor.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import org.junit.jupiter.api.Test;

/** The bounds on replies that would otherwise grow with what a client asks for. */
class GatewayLimitsTest {

    @Test
    void aDirtyBitmapReplyIsBoundedLikeARead() {
        long fits = (long) GatewayLimits.MAX_READ_BYTES * Byte.SIZE - 1; // pages, one spare for a misaligned start
        assertDoesNotThrow(() -> GatewayLimits.checkBitmapReply(fits * 4096, 4096));
        IommuException e = assertThrows(IommuException.class, () -> GatewayLimits.checkBitmapReply(1L << 40, 1));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("0x10000000000") && e.getMessage().contains("page_size 0x1"),
                e.getMessage());
        assertDoesNotThrow(() -> GatewayLimits.checkBitmapReply(-1L, 0), "a zero page size is the core's to refuse");
    }

    @Test
    void aVfioBitmapBufferIsBoundedAndNamedUnsigned() {
        assertEquals(4096, GatewayLimits.checkBitmapBuffer(4096));
        IommuException e = assertThrows(IommuException.class, () -> GatewayLimits.checkBitmapBuffer(-1L));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("18446744073709551615"), e.getMessage());
    }
}
