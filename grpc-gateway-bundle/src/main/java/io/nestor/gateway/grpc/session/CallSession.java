package io.nestor.gateway.grpc.session;

import io.grpc.Context;
import io.nestor.api.session.Session;

/**
 * The session of the call being served, as {@link SessionInterceptor} attached it to the gRPC
 * {@link Context}.
 */
public final class CallSession {
    /** The metadata key every call but {@code Sessions/Open} carries. */
    public static final String METADATA_KEY = "nestor-session";

    static final Context.Key<Session> KEY = Context.key(METADATA_KEY);

    private CallSession() {
    }

    /**
     * The calling session.
     *
     * @throws IllegalStateException outside a call that passed the interceptor (a gateway bug)
     */
    public static Session current() {
        Session session = KEY.get();
        if (session == null) {
            throw new IllegalStateException("no session attached to this call");
        }
        return session;
    }
}
