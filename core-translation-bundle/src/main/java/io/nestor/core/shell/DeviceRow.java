package io.nestor.core.shell;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.platform.MediatedDevice;
import java.util.Optional;

/**
 * One device as the shell prints it: name, unit, source-id and PCI capabilities; an IOMMU-backed
 * mediated device (which has no capability of its own) also says its parent and default PASID.
 */
public final class DeviceRow {
    private final DeviceInfo device;
    private final MediatedDevice mediation;

    DeviceRow(DeviceInfo device, Optional<MediatedDevice> mediation) {
        this.device = device;
        this.mediation = mediation.orElse(null);
    }

    public DeviceInfo device() {
        return device;
    }

    /** Its parent and default PASID, when it is a mediated device. */
    public Optional<MediatedDevice> mediation() {
        return Optional.ofNullable(mediation);
    }

    @Override
    public String toString() {
        StringBuilder caps = new StringBuilder();
        if (device.pasidCapable()) {
            caps.append("pasid:").append(device.pasidBits());
            if (device.pasidExec()) {
                caps.append("+exec");
            }
            if (device.pasidPriv()) {
                caps.append("+priv");
            }
        }
        if (device.ats()) {
            caps.append(caps.length() > 0 ? " " : "").append("ats");
        }
        if (device.pri()) {
            caps.append(caps.length() > 0 ? " " : "").append("pri");
        }
        if (mediation != null) {
            caps.append(caps.length() > 0 ? " " : "").append(String.format("mdev of %s pasid 0x%x",
                    mediation.parent(), mediation.defaultPasid()));
        }
        return String.format("%-14s %-8s sid 0x%04x  %s", device.name(), device.unit(), device.sourceId(),
                caps.length() == 0 ? "-" : caps);
    }
}
