package io.nestor.api.session;

import io.nestor.api.dma.Dma;
import io.nestor.api.error.IommuException;
import io.nestor.api.event.SessionEvents;
import io.nestor.api.iommufd.Iommufd;
import io.nestor.api.vfio.VfioDevices;

/**
 * One client session and the handles through which it reaches what it owns.
 *
 * <p>Every facade reached from a session sees only that session's objects: an id belonging to
 * another session is answered as if it did not exist. Once the session is closed (by
 * {@link #close()} or by its lease running out) every call on it and on its facades answers
 * {@code EBADF}, as an ioctl on a closed descriptor does.
 */
public interface Session {

    /** The opaque id a remote client names the session by. */
    String id();

    String clientName();

    /** The lease granted at open, in milliseconds. */
    long leaseMillis();

    SessionQuotas quotas();

    /**
     * Renews the lease.
     *
     * @return milliseconds until the renewed lease runs out
     * @throws IommuException EBADF when the session is closed
     */
    long keepAlive();

    /**
     * Closes the session and releases everything it owns: event subscriptions end, iommufd contexts
     * are closed (their objects destroyed, pins released), memory regions destroyed.
     *
     * @throws IommuException EBADF when the session is already closed
     */
    void close();

    boolean isOpen();

    /** The session's memory regions. */
    MemoryRegions memory();

    /** The session's iommufd contexts. */
    Iommufd iommufd();

    /** DMA issued by devices on the session's behalf. */
    Dma dma();

    /** The session's event stream. */
    SessionEvents events();

    /** The session's side of the platform's VFIO devices (since 1.1). */
    VfioDevices vfioDevices();
}
