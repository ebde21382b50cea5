package io.nestor.api.session;

import io.nestor.api.error.IommuException;
import java.util.List;
import java.util.Optional;

/**
 * Opens and finds client sessions.
 *
 * <p>Invariants: session ids are never reused while the service runs, so a stale id finds nothing;
 * when the service goes away (the core stops), every session it opened is closed.
 */
public interface SessionService {

    /**
     * Opens a session and grants it a lease.
     *
     * @param clientName for logs and the shell, for example {@code "qemu-7761"}; 1 to 128 printable
     *     characters
     * @param leaseMillis the lease asked for; 0 takes the service's default, and a longer one than
     *     the service's maximum is cut to it
     * @throws IommuException EINVAL for a bad name or a negative lease, ENOSPC when the service holds
     *     its maximum number of sessions
     */
    Session open(String clientName, long leaseMillis);

    /** The open session with {@code id}, if any; a closed or expired session is not found. */
    Optional<Session> find(String id);

    /** The open sessions, in the order they were opened. */
    List<Session> sessions();
}
