package io.nestor.gateway.grpc.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import org.junit.jupiter.api.Test;

/** The failure every handler, unary or streaming, hands to {@code onError}. */
class UnaryCallTest {

    @Test
    void anErrnoFailureIsItsErrnoStatus() throws Exception {
        StatusRuntimeException sent = UnaryCall.failure(IommuException.of(Errno.EBUSY, "object %d is in use", 4));

        com.google.rpc.Status received = StatusProto.fromStatusAndTrailers(sent.getStatus(), sent.getTrailers());
        assertEquals(Status.Code.FAILED_PRECONDITION.value(), received.getCode());
        assertEquals("EBUSY: object 4 is in use", received.getMessage());
        assertEquals("16", received.getDetails(0).unpack(ErrorInfo.class).getMetadataOrThrow("errno"));
    }

    @Test
    void anyOtherFailureIsInternalWithItsCause() {
        IllegalStateException bug = new IllegalStateException("a gateway bug");

        StatusRuntimeException sent = UnaryCall.failure(bug);

        assertEquals(Status.Code.INTERNAL, sent.getStatus().getCode());
        assertEquals(bug.toString(), sent.getStatus().getDescription());
        assertSame(bug, sent.getStatus().getCause());
    }
}
