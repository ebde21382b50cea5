package io.nestor.api.event;

import io.nestor.api.dma.DeviceFault;
import io.nestor.api.platform.UnitStatus;

/**
 * Receives a session's events. Called on the thread that caused the event (a DMA request's, a
 * driver swap's), so an implementation must not block: it buffers and returns.
 */
public interface SessionEventListener {

    /** A non-recoverable fault of a device the session drives. */
    default void deviceFault(DeviceFault fault) {
    }

    /** A page request of a device the session drives. */
    default void pageRequest(DevicePageRequest request) {
    }

    /** A unit changed state (a driver came, went or was replaced). */
    default void unitChanged(UnitStatus unit) {
    }

    /** The session closed or expired; no call follows this one. */
    default void sessionClosed() {
    }
}
