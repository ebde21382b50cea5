package io.nestor.api.event;

/** An open subscription; closing it twice is harmless. */
public interface EventSubscription extends AutoCloseable {

    /** Ends the subscription: no more calls reach the listener once this returns. */
    @Override
    void close();
}
