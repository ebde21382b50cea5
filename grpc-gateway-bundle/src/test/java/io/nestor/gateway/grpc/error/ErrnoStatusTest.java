package io.nestor.gateway.grpc.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ErrnoStatusTest {

    /** The table the gateway promises, written out independently of the implementation. */
    private static final Map<Errno, Status.Code> EXPECTED = new EnumMap<>(Errno.class);

    static {
        EXPECTED.put(Errno.ENOENT, Status.Code.NOT_FOUND);
        EXPECTED.put(Errno.ENODEV, Status.Code.NOT_FOUND);
        EXPECTED.put(Errno.ENXIO, Status.Code.NOT_FOUND);
        EXPECTED.put(Errno.EEXIST, Status.Code.ALREADY_EXISTS);
        EXPECTED.put(Errno.EADDRINUSE, Status.Code.ALREADY_EXISTS);
        EXPECTED.put(Errno.EINVAL, Status.Code.INVALID_ARGUMENT);
        EXPECTED.put(Errno.EFAULT, Status.Code.INVALID_ARGUMENT);
        EXPECTED.put(Errno.E2BIG, Status.Code.INVALID_ARGUMENT);
        EXPECTED.put(Errno.EOVERFLOW, Status.Code.OUT_OF_RANGE);
        EXPECTED.put(Errno.ERANGE, Status.Code.OUT_OF_RANGE);
        EXPECTED.put(Errno.EBUSY, Status.Code.FAILED_PRECONDITION);
        EXPECTED.put(Errno.ENOSPC, Status.Code.RESOURCE_EXHAUSTED);
        EXPECTED.put(Errno.ENOMEM, Status.Code.RESOURCE_EXHAUSTED);
        EXPECTED.put(Errno.EOPNOTSUPP, Status.Code.UNIMPLEMENTED);
        EXPECTED.put(Errno.ENOTTY, Status.Code.UNIMPLEMENTED);
        EXPECTED.put(Errno.EPERM, Status.Code.PERMISSION_DENIED);
        EXPECTED.put(Errno.EACCES, Status.Code.PERMISSION_DENIED);
        EXPECTED.put(Errno.EAGAIN, Status.Code.UNAVAILABLE);
        EXPECTED.put(Errno.ETIMEDOUT, Status.Code.DEADLINE_EXCEEDED);
        EXPECTED.put(Errno.EINTR, Status.Code.ABORTED);
        EXPECTED.put(Errno.EIO, Status.Code.INTERNAL);
        EXPECTED.put(Errno.EBADF, Status.Code.INVALID_ARGUMENT);
        EXPECTED.put(Errno.EMSGSIZE, Status.Code.OUT_OF_RANGE);
        EXPECTED.put(Errno.ESPIPE, Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void tableCoversEveryErrno() {
        assertEquals(EnumSet.allOf(Errno.class), EXPECTED.keySet(),
                "a new Errno needs a row in the gateway's mapping table");
    }

    @ParameterizedTest
    @EnumSource(Errno.class)
    void everyErrnoMapsToItsCodeAndNeverUnknown(Errno errno) {
        Status.Code code = ErrnoStatus.codeOf(errno);
        assertNotEquals(Status.Code.UNKNOWN, code);
        assertNotEquals(Status.Code.OK, code);
        assertEquals(EXPECTED.get(errno), code, errno.name());
    }

    @ParameterizedTest
    @EnumSource(Errno.class)
    void everyStatusCarriesErrorInfoThroughTheTrailers(Errno errno) throws InvalidProtocolBufferException {
        StatusRuntimeException sent = ErrnoStatus.toStatusException(new IommuException(errno, "value 7 is bad"));

        // What a client sees: the status from the trailers, as StatusProto parses it back.
        com.google.rpc.Status received = StatusProto.fromStatusAndTrailers(sent.getStatus(), sent.getTrailers());
        assertEquals(EXPECTED.get(errno).value(), received.getCode());
        assertEquals(errno.name() + ": value 7 is bad", received.getMessage());
        assertEquals(1, received.getDetailsCount());
        ErrorInfo info = received.getDetails(0).unpack(ErrorInfo.class);
        assertEquals(errno.name(), info.getReason());
        assertEquals("nestor.io", info.getDomain());
        assertEquals(Map.of("errno", Integer.toString(errno.number())), info.getMetadataMap());
    }

    @Test
    void outValuesTravelInTheMetadata() throws InvalidProtocolBufferException {
        IommuException e = new IommuException(Errno.EINVAL, "entry 3: bad opcode 0x77")
                .withOutValue("entry_num", 3)
                .withOutValue("out_iova", 0xffff_f000L);

        com.google.rpc.Status status = ErrnoStatus.toRpcStatus(e);
        Any detail = status.getDetails(0);
        assertTrue(detail.is(ErrorInfo.class));
        ErrorInfo info = detail.unpack(ErrorInfo.class);
        assertEquals(Map.of("errno", "22", "entry_num", "3", "out_iova", Long.toString(0xffff_f000L)),
                info.getMetadataMap());
        assertEquals(Status.Code.INVALID_ARGUMENT.value(), status.getCode());
    }
}
