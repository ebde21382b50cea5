package io.nestor.gateway.grpc.session;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.session.Session;
import io.nestor.gateway.grpc.error.ErrnoStatus;
import io.nestor.gateway.grpc.proto.SessionsGrpc;
import java.util.Optional;

/**
 * Resolves the {@value CallSession#METADATA_KEY} metadata of every call (but {@code Sessions/Open})
 * to an open session, renews its lease, and attaches it to the call's context.
 *
 * <p>A missing or unknown id closes the call with {@code UNAUTHENTICATED} and reason {@code EBADF}
 * (the session is the client's descriptor table; without it nothing is reachable) before the handler
 * runs; no session service answers {@code UNAVAILABLE} ({@code EAGAIN}). Ids are not echoed in
 * messages: they are bearer secrets.
 */
public final class SessionInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> SESSION_HEADER =
            Metadata.Key.of(CallSession.METADATA_KEY, Metadata.ASCII_STRING_MARSHALLER);

    private final SessionBinding sessions;

    public SessionInterceptor(SessionBinding sessions) {
        this.sessions = sessions;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getFullMethodName().equals(SessionsGrpc.getOpenMethod().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        Session session;
        try {
            session = resolve(headers.get(SESSION_HEADER));
            session.keepAlive();
        } catch (IommuException e) {
            StatusRuntimeException status = e.errno() == Errno.EBADF
                    ? ErrnoStatus.toStatusException(e, Status.Code.UNAUTHENTICATED)
                    : ErrnoStatus.toStatusException(e);
            call.close(status.getStatus(), status.getTrailers());
            return new ServerCall.Listener<>() {
            };
        }
        return Contexts.interceptCall(Context.current().withValue(CallSession.KEY, session), call, headers, next);
    }

    private Session resolve(String id) {
        if (id == null || id.isEmpty()) {
            throw new IommuException(Errno.EBADF, "the call carries no '" + CallSession.METADATA_KEY
                    + "' metadata; open a session with Sessions/Open first");
        }
        Optional<Session> session = sessions.require().find(id);
        return session.orElseThrow(() -> new IommuException(Errno.EBADF,
                "the '" + CallSession.METADATA_KEY + "' metadata names no open session (closed or expired?)"));
    }
}
