package io.nestor.core.service;

import io.nestor.api.dma.DeviceFault;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.event.DevicePageRequest;
import io.nestor.api.event.EventSubscription;
import io.nestor.api.event.SessionEventListener;
import io.nestor.api.event.SessionEvents;
import io.nestor.api.platform.UnitStatus;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The event subscriptions of one session. Each open subscription holds the session's lease; a
 * listener that throws is logged and keeps its subscription (it is the subscriber's buffer that
 * failed, not the event).
 *
 * <p>Delivery runs on the reporting thread and takes no lock; a subscription closed concurrently with
 * a delivery may still see that one delivery.
 */
final class SessionEventHub implements SessionEvents {
    private static final System.Logger LOG = System.getLogger(SessionEventHub.class.getName());

    private final CoreSession session;
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    /** Set once by {@link #closeAll()}; guarded by {@code this}, so no subscription is added after it. */
    private boolean closed;

    SessionEventHub(CoreSession session) {
        this.session = session;
    }

    @Override
    public EventSubscription subscribe(SessionEventListener listener) {
        Objects.requireNonNull(listener, "listener");
        Subscription s = new Subscription(listener);
        synchronized (this) {
            session.checkOpen();
            if (closed) {
                throw IommuException.of(Errno.EBADF, "session %s is closed", session.id());
            }
            session.holdLease();
            subscriptions.add(s);
        }
        // what the fault queues and VEVENTQs kept while nobody listened, as a read() would return it
        session.iommufd().deliverPendingEvents();
        return s;
    }

    int subscriberCount() {
        return subscriptions.size();
    }

    void deviceFault(DeviceFault fault) {
        deliver(l -> l.deviceFault(fault));
    }

    void pageRequest(DevicePageRequest request) {
        deliver(l -> l.pageRequest(request));
    }

    void pageFault(int iommufd, int faultId, byte[] pgfault) {
        deliver(l -> l.pageFault(iommufd, faultId, pgfault.clone()));
    }

    void vevent(int iommufd, int veventqId, byte[] vevent) {
        deliver(l -> l.vevent(iommufd, veventqId, vevent.clone()));
    }

    void unitChanged(UnitStatus unit) {
        deliver(l -> l.unitChanged(unit));
    }

    private void deliver(Consumer<SessionEventListener> event) {
        for (Subscription s : subscriptions) {
            if (!s.closed) {
                try {
                    event.accept(s.listener);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "session " + session.id() + ": event listener failed", e);
                }
            }
        }
    }

    /** Ends every subscription, telling each listener that the session closed. */
    void closeAll() {
        List<Subscription> open;
        synchronized (this) {
            closed = true;
            open = List.copyOf(subscriptions);
        }
        for (Subscription s : open) {
            if (s.end()) {
                try {
                    s.listener.sessionClosed();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "session " + session.id() + ": event listener failed", e);
                }
            }
        }
    }

    private final class Subscription implements EventSubscription {
        final SessionEventListener listener;
        volatile boolean closed;

        Subscription(SessionEventListener listener) {
            this.listener = listener;
        }

        /** Ends the subscription once; whether this call ended it. */
        boolean end() {
            synchronized (SessionEventHub.this) {
                if (closed) {
                    return false;
                }
                closed = true;
                subscriptions.remove(this);
            }
            session.releaseLeaseHold();
            return true;
        }

        @Override
        public void close() {
            end();
        }
    }
}
