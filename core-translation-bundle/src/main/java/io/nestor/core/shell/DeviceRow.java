package io.nestor.core.shell;

import io.nestor.api.driver.DeviceInfo;

/** One device as the shell prints it. */
public final class DeviceRow {
    private final DeviceInfo device;

    DeviceRow(DeviceInfo device) {
        this.device = device;
    }

    public DeviceInfo device() {
        return device;
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
        return String.format("%-14s %-8s sid 0x%04x  %s", device.name(), device.unit(), device.sourceId(),
                caps.length() == 0 ? "-" : caps);
    }
}
