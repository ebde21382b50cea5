package io.nestor.gateway.grpc.error;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.nestor.api.error.IommuException;
import java.util.function.Supplier;

/**
 * Completes a unary call from a computation that may fail with an {@link IommuException}.
 *
 * <p>Invariant: the observer sees exactly one of {@code onNext} + {@code onCompleted}, or
 * {@code onError}. Errno failures become {@link ErrnoStatus} statuses; anything else is a gateway
 * bug and is reported as {@code INTERNAL} rather than the {@code UNKNOWN} gRPC would otherwise send.
 */
public final class UnaryCall {

    private UnaryCall() {
    }

    public static <T> void answer(StreamObserver<T> responses, Supplier<T> body) {
        T response;
        try {
            response = body.get();
        } catch (RuntimeException e) {
            responses.onError(failure(e));
            return;
        }
        responses.onNext(response);
        responses.onCompleted();
    }

    /**
     * What a handler hands to {@code onError} for {@code e}: the errno status of an
     * {@link IommuException}, {@code INTERNAL} for anything else. Streaming handlers use it too, so
     * that a failure reads the same on every RPC.
     */
    public static StatusRuntimeException failure(RuntimeException e) {
        if (e instanceof IommuException errno) {
            return ErrnoStatus.toStatusException(errno);
        }
        return Status.INTERNAL.withDescription(e.toString()).withCause(e).asRuntimeException();
    }
}
