package io.nestor.gateway.grpc.session;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.session.SessionService;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link SessionService} the gateway currently answers from, as a dynamic, greedy, optional
 * Declarative Services reference delivers it.
 *
 * <p>Invariant: {@link #require()} returns the most recently bound service not unbound since; a
 * greedy replacement binds the new service before unbinding the old one, so unbinding a service that
 * is no longer current keeps the current one.
 */
public final class SessionBinding {
    private final AtomicReference<SessionService> current = new AtomicReference<>();

    public void bind(SessionService service) {
        current.set(Objects.requireNonNull(service, "service"));
    }

    public void unbind(SessionService service) {
        current.compareAndSet(service, null);
    }

    /**
     * The bound service.
     *
     * @throws IommuException {@code EAGAIN} (UNAVAILABLE) while the core is stopped or restarting
     */
    public SessionService require() {
        SessionService service = current.get();
        if (service == null) {
            throw new IommuException(Errno.EAGAIN, "no io.nestor.api.session.SessionService is registered;"
                    + " the platform core is not running");
        }
        return service;
    }
}
