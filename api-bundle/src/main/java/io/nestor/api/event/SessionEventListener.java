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

    /**
     * One {@code struct iommu_hwpt_pgfault} (40 bytes, little-endian) read from a fault queue of the
     * session: the device's {@code dev_id} in that context, the group's {@code cookie} to answer
     * with {@link io.nestor.api.iommufd.Iommufd#faultRespond}. A group's records arrive together, in
     * order.
     */
    default void pageFault(int iommufd, int faultId, byte[] pgfault) {
    }

    /**
     * One vEVENT read from a VEVENTQ of the session: {@code struct iommufd_vevent_header} followed
     * by the type's data, or the header alone with {@code IOMMU_VEVENTQ_FLAG_LOST_EVENTS}.
     */
    default void vevent(int iommufd, int veventqId, byte[] vevent) {
    }

    /** A unit changed state (a driver came, went or was replaced). */
    default void unitChanged(UnitStatus unit) {
    }

    /** The session closed or expired; no call follows this one. */
    default void sessionClosed() {
    }
}
