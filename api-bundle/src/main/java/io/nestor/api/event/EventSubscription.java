package io.nestor.api.event;

/** An open subscription; closing it twice is harmless. */
public interface EventSubscription extends AutoCloseable {

    /**
     * Ends the subscription: no delivery starts after this returns (one already under way on another
     * thread may still complete).
     */
    @Override
    void close();
}
