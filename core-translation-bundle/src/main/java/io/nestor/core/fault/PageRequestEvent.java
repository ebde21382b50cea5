package io.nestor.core.fault;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.translation.PageRequest;
import java.util.Objects;

/**
 * A recoverable fault (PRI page request or SMMUv3 stall) as the platform reports it upward to the
 * owner of the device's fault queue.
 *
 * @param sequence the unit's page-request sequence number, from 1
 * @param unit the unit's name
 * @param device the requesting device: for a request a parent device made with a mediated
 *     device's default PASID, that mediated device
 * @param request the request as it reached the unit (a mediated device's carries its parent's
 *     source-id and its default PASID)
 * @param record the descriptor the hardware queued; empty when its queue was full (the hardware
 *     then answered the device itself)
 */
public record PageRequestEvent(long sequence, String unit, DeviceInfo device, PageRequest request, byte[] record) {
    public PageRequestEvent {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(request, "request");
        record = record.clone();
    }

    @Override
    public byte[] record() {
        return record.clone();
    }
}
