package io.nestor.api.event;

import io.nestor.api.translation.PageRequest;
import java.util.Objects;

/**
 * A recoverable fault (PCIe page request or SMMUv3 stall) as a unit reported it.
 *
 * @param unit the unit's name
 * @param device the requesting device's name
 * @param request the request
 * @param record the descriptor the unit queued in its binary layout; empty when its queue was full
 * @param unitSequence the unit's page-request sequence number, from 1
 */
public record DevicePageRequest(String unit, String device, PageRequest request, byte[] record,
        long unitSequence) {

    public DevicePageRequest {
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
