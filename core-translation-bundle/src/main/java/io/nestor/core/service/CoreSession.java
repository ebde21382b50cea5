package io.nestor.core.service;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.session.Session;
import io.nestor.api.session.SessionQuotas;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One open session: its lease, its quotas and the facades over what it owns.
 *
 * <p>Lease: the session expires when {@link #leaseMillis()} pass without a renewal; an open event
 * subscription counts as a continuous renewal. One task on the manager's scheduler watches the
 * deadline, re-arming itself while the lease is renewed, so expiry costs nothing per call.
 *
 * <p>Release: {@link #release} runs once, whichever comes first of close, expiry and the manager's
 * shutdown; it marks the session closed under {@link #lock}, so that no object is created after it,
 * then ends subscriptions, closes the iommufd contexts (destroying their objects and releasing their
 * pins) and destroys the regions, as closing an exiting process's descriptors does; the manager
 * forgets the session last, so a session it no longer lists holds nothing (no device, no page).
 *
 * <p>Lock order: {@link #lock} (held only to check the quotas and create one object) before the
 * region table's and the object tables' own locks.
 */
final class CoreSession implements Session {
    private static final System.Logger LOG = System.getLogger(CoreSession.class.getName());

    private final String id;
    private final String clientName;
    private final long leaseMillis;
    private final SessionQuotas quotas;
    private final SessionManager manager;
    private final ScheduledExecutorService scheduler;
    private final Object lock = new Object();
    private final AtomicInteger leaseHolds = new AtomicInteger();
    private final SessionMemoryRegions memory;
    private final SessionIommufd iommufd;
    private final SessionDma dma;
    private final SessionVfioDevices vfioDevices;
    private final SessionEventHub events;
    private volatile long deadlineNanos;
    private volatile boolean closed;
    private ScheduledFuture<?> expiry;

    CoreSession(String id, String clientName, long leaseMillis, SessionQuotas quotas, SessionManager manager,
            ScheduledExecutorService scheduler) {
        this.id = id;
        this.clientName = clientName;
        this.leaseMillis = leaseMillis;
        this.quotas = quotas;
        this.manager = manager;
        this.scheduler = scheduler;
        this.memory = new SessionMemoryRegions(this, manager.hostMemory());
        this.iommufd = new SessionIommufd(this);
        this.dma = new SessionDma(this, manager.deviceDma(), manager.registry());
        this.vfioDevices = new SessionVfioDevices(this, manager);
        this.events = new SessionEventHub(this);
        this.deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
    }

    void startLease() {
        synchronized (lock) {
            expiry = scheduler.schedule(this::checkLease, leaseMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** The lease task: expires the session, or re-arms itself for the renewed deadline. */
    private void checkLease() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        if (leaseHolds.get() > 0) {
            deadlineNanos = now + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
        }
        long left = deadlineNanos - now;
        if (left <= 0) {
            LOG.log(System.Logger.Level.INFO, "session " + clientName + " (" + id + "): lease of " + leaseMillis
                    + " ms ran out; releasing what it owns");
            release();
            return;
        }
        synchronized (lock) {
            if (!closed) {
                expiry = scheduler.schedule(this::checkLease, left, TimeUnit.NANOSECONDS);
            }
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String clientName() {
        return clientName;
    }

    @Override
    public long leaseMillis() {
        return leaseMillis;
    }

    @Override
    public SessionQuotas quotas() {
        return quotas;
    }

    @Override
    public long keepAlive() {
        checkOpen();
        deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
        return leaseMillis;
    }

    void holdLease() {
        leaseHolds.incrementAndGet();
    }

    void releaseLeaseHold() {
        if (leaseHolds.decrementAndGet() == 0) {
            keepAliveIfOpen(); // the lease runs from the end of the stream, not from its start
        }
    }

    private void keepAliveIfOpen() {
        if (!closed) {
            deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
        }
    }

    @Override
    public void close() {
        if (!release()) {
            throw IommuException.of(Errno.EBADF, "session %s is closed", id);
        }
    }

    /**
     * Releases everything the session owns, once.
     *
     * @return false when the session was already closed
     */
    boolean release() {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            closed = true;
            if (expiry != null) {
                expiry.cancel(false);
            }
        }
        events.closeAll();
        iommufd.closeAll();
        memory.destroyAll();
        // forgotten last: once the manager no longer lists the session, its devices are unbound and
        // its pages given back (calls that still find it meanwhile answer EBADF)
        manager.forget(this);
        return true;
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    void checkOpen() {
        if (closed) {
            throw IommuException.of(Errno.EBADF, "session %s is closed", id);
        }
    }

    /** The session service that opened this session (the platform's shared iommufd side). */
    SessionManager manager() {
        return manager;
    }

    /**
     * Creates one object under the session's quotas: checks that the session is open and that one
     * more object (and {@code bytes} more memory) fits, then runs {@code create}, all under the
     * session lock so that concurrent creations cannot both pass the check, and so that nothing is
     * created after release.
     *
     * @throws IommuException EBADF when closed, ENOSPC beyond the object quota, ENOMEM beyond the
     *     memory quota
     */
    <T> T createCounted(long bytes, Supplier<T> create) {
        synchronized (lock) {
            checkOpen();
            int objects = memory.count() + iommufd.objectCount();
            if (objects >= quotas.objects()) {
                throw IommuException.of(Errno.ENOSPC, "session %s holds %d objects, its quota", id, objects);
            }
            if (bytes > 0 && Long.compareUnsigned(memory.bytes() + bytes, quotas.memoryBytes()) > 0) {
                throw IommuException.of(Errno.ENOMEM, "0x%x more bytes exceed session %s's memory quota 0x%x"
                        + " (0x%x in use)", bytes, id, quotas.memoryBytes(), memory.bytes());
            }
            return create.get();
        }
    }

    @Override
    public SessionMemoryRegions memory() {
        return memory;
    }

    @Override
    public SessionIommufd iommufd() {
        return iommufd;
    }

    @Override
    public SessionDma dma() {
        return dma;
    }

    @Override
    public SessionVfioDevices vfioDevices() {
        return vfioDevices;
    }

    @Override
    public SessionEventHub events() {
        return events;
    }

    @Override
    public String toString() {
        return "session " + id + " (" + clientName + (closed ? ", closed)" : ")");
    }
}
