package io.nestor.api.dma;

import io.nestor.api.translation.Fault;
import java.util.Objects;

/**
 * A non-recoverable fault of a device's request, as its unit recorded and reported it.
 *
 * @param unit the unit's name
 * @param device the device's name
 * @param pasid the request's PASID, or {@link DmaRequest#NO_PASID}
 * @param fault the vendor-neutral fault
 * @param record the unit's own record (a VT-d fault record, an SMMUv3 event) in its binary layout;
 *     empty when the hardware dropped it
 * @param unitSequence the unit's fault sequence number, from 1, counting dropped faults too
 * @param devId the device object id in the iommufd context that bound it, 0 for a device a VFIO
 *     container holds
 */
public record DeviceFault(String unit, String device, int pasid, Fault fault, byte[] record, long unitSequence,
        int devId) {

    public DeviceFault {
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
