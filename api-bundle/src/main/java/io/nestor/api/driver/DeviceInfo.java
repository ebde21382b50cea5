package io.nestor.api.driver;

import java.util.Objects;

/**
 * A device in the platform topology, as a driver and a client see it.
 *
 * @param name the device name; PCI devices use their address, for example {@code 0000:00:02.0}
 * @param unit the name of the IOMMU unit that translates its DMA
 * @param sourceId the requester ID the device's DMA carries: the PCI RID (bus, device, function)
 *     for VT-d, the StreamID for SMMUv3
 * @param pasidBits the width of its PCI PASID capability, 0 when it has none
 * @param pasidExec PASID capability: execute permission requests supported
 * @param pasidPriv PASID capability: privileged mode requests supported
 * @param ats the PCI ATS capability (a device TLB)
 * @param pri the PCI page request interface capability
 */
public record DeviceInfo(String name, String unit, int sourceId, int pasidBits, boolean pasidExec,
        boolean pasidPriv, boolean ats, boolean pri) {

    /** The PASID argument for requests that carry no PASID. */
    public static final int NO_PASID = -1;

    public DeviceInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(unit, "unit");
        if (pasidBits < 0 || pasidBits > 20) {
            throw new IllegalArgumentException("device " + name + ": pasidBits must be 0..20, got " + pasidBits);
        }
        if (sourceId < 0) {
            throw new IllegalArgumentException("device " + name + ": negative sourceId " + sourceId);
        }
    }

    public boolean pasidCapable() {
        return pasidBits > 0;
    }
}
