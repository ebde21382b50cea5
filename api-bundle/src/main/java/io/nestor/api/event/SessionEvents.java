package io.nestor.api.event;

import io.nestor.api.error.IommuException;

/** Subscriptions to one session's events. */
public interface SessionEvents {

    /**
     * Subscribes {@code listener}; while the subscription is open the session's lease does not run
     * out. The subscription ends by {@link EventSubscription#close()} or when the session closes,
     * which the listener learns through {@link SessionEventListener#sessionClosed()}.
     *
     * @throws IommuException EBADF when the session is closed
     */
    EventSubscription subscribe(SessionEventListener listener);
}
