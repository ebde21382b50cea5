package io.nestor.core.fault;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.translation.Fault;
import java.util.Objects;

/**
 * A non-recoverable fault as the platform reports it upward (event streams, the shell, vEVENTQs):
 * the vendor-neutral {@link Fault} together with the record the unit's hardware wrote for it.
 *
 * @param sequence the unit's fault sequence number, from 1, counting dropped faults too
 * @param unit the unit's name
 * @param device the device whose request faulted: for a request a parent device made with a
 *     mediated device's default PASID, that mediated device
 * @param pasid the request's PASID as that device issued it, or -1 (a mediated device's requests
 *     carry none of their own)
 * @param fault what went wrong
 * @param record the vendor record as the hardware wrote it (VT-d fault record, SMMUv3 event);
 *     empty when the hardware dropped it or no driver was bound
 */
public record FaultEvent(long sequence, String unit, DeviceInfo device, int pasid, Fault fault, byte[] record) {
    public FaultEvent {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(fault, "fault");
        record = record.clone();
    }

    @Override
    public byte[] record() {
        return record.clone();
    }
}
