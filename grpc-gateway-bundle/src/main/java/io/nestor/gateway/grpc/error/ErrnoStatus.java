package io.nestor.gateway.grpc.error;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.Map;

/**
 * The gateway's one translation of an errno-style failure into a gRPC status.
 *
 * <p>Invariants: every {@link Errno} maps to a specific code, never {@link Status.Code#UNKNOWN} (the
 * switch below is exhaustive, so a new errno does not compile until it is placed); and every status
 * built here carries exactly one {@code google.rpc.ErrorInfo} detail whose {@code reason} is the
 * errno's name, whose {@code domain} is {@value #DOMAIN}, and whose metadata holds the errno number
 * under {@value #ERRNO_KEY} plus every out value the kernel would have written back (for example
 * {@code entry_num}), so that a remote VMM sees what a local ioctl caller would see.
 */
public final class ErrnoStatus {

    /** The {@code ErrorInfo.domain} of every Nestor error. */
    public static final String DOMAIN = "nestor.io";

    /** The {@code ErrorInfo.metadata} key of the positive errno number. */
    public static final String ERRNO_KEY = "errno";

    private ErrnoStatus() {
    }

    /** The gRPC code closest in meaning to {@code errno}. */
    public static Status.Code codeOf(Errno errno) {
        return switch (errno) {
            case ENOENT, ENODEV, ENXIO -> Status.Code.NOT_FOUND;
            case EEXIST, EADDRINUSE -> Status.Code.ALREADY_EXISTS;
            // E2BIG: iommufd's copy_struct_from_user rejects a larger struct with non-zero tail bytes.
            case EINVAL, EFAULT, E2BIG -> Status.Code.INVALID_ARGUMENT;
            // EMSGSIZE: the caller's array is too small for the answer (IOMMU_IOAS_IOVA_RANGES).
            case EOVERFLOW, ERANGE, EMSGSIZE -> Status.Code.OUT_OF_RANGE;
            case EBUSY -> Status.Code.FAILED_PRECONDITION;
            case ENOSPC, ENOMEM -> Status.Code.RESOURCE_EXHAUSTED;
            case EOPNOTSUPP, ENOTTY -> Status.Code.UNIMPLEMENTED;
            case EPERM, EACCES -> Status.Code.PERMISSION_DENIED;
            case EAGAIN -> Status.Code.UNAVAILABLE;
            case ETIMEDOUT -> Status.Code.DEADLINE_EXCEEDED;
            // Interrupted before it took effect: safe to retry the whole call.
            case EINTR -> Status.Code.ABORTED;
            case EIO -> Status.Code.INTERNAL;
            // A handle (the kernel's fd) that names nothing the caller holds.
            case EBADF -> Status.Code.INVALID_ARGUMENT;
            // A read or write of a fault / event queue that is not a whole number of records.
            case ESPIPE -> Status.Code.INVALID_ARGUMENT;
        };
    }

    /** The {@code ErrorInfo} detail describing {@code e}. */
    public static ErrorInfo errorInfo(IommuException e) {
        ErrorInfo.Builder info = ErrorInfo.newBuilder()
                .setReason(e.errno().name())
                .setDomain(DOMAIN)
                .putMetadata(ERRNO_KEY, Integer.toString(e.errno().number()));
        for (Map.Entry<String, Long> out : e.outValues().entrySet()) {
            info.putMetadata(out.getKey(), Long.toString(out.getValue()));
        }
        return info.build();
    }

    /** The rich status for {@code e}: code, message and the {@code ErrorInfo} detail. */
    public static com.google.rpc.Status toRpcStatus(IommuException e) {
        return com.google.rpc.Status.newBuilder()
                .setCode(codeOf(e.errno()).value())
                .setMessage(e.getMessage())
                .addDetails(Any.pack(errorInfo(e)))
                .build();
    }

    /** {@code e} as the exception a gRPC handler hands to {@code onError}. */
    public static StatusRuntimeException toStatusException(IommuException e) {
        return StatusProto.toStatusRuntimeException(toRpcStatus(e));
    }
}
