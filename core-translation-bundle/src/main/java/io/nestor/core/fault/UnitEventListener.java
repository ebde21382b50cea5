package io.nestor.core.fault;

/**
 * Receives what units report upward. Called on the reporting thread (a DMA request's), so an
 * implementation must not block; both methods default to ignoring the event.
 */
public interface UnitEventListener {
    default void fault(FaultEvent event) {
    }

    default void pageRequest(PageRequestEvent event) {
    }
}
