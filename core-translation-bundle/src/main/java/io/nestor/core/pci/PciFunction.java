package io.nestor.core.pci;

import static io.nestor.core.pci.PciRegs.PCI_CFG_SPACE_SIZE;
import static io.nestor.core.pci.PciRegs.PCI_EXT_CAP_ATS_SIZEOF;
import static io.nestor.core.pci.PciRegs.PCI_EXT_CAP_PASID_SIZEOF;

import io.nestor.api.driver.DeviceInfo;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A device of the topology seen as a PCI function: its address and its configuration space as
 * vfio-pci shows it, built from the device's {@link DeviceInfo}.
 *
 * <p>Layout: the type-0 header ({@link PciHeader}); at 0x40 the PCI Express capability, the only
 * entry of the standard list; from 0x100 the extended capabilities the device has, in the order
 * PASID, ATS, PRI, packed one after the other, each header's next pointer naming the following one
 * and the last one's 0. A device with none of them has an all-zero header at 0x100, the
 * specification's "no extended capabilities" (which vfio-pci also shows when it hides them all).
 *
 * <p>The state lives in the {@link PciConfigSpace}; the capability objects are views over it.
 */
public final class PciFunction {
    /** Where the extended capability list starts. */
    public static final int EXTENDED_CAPABILITIES_START = PCI_CFG_SPACE_SIZE;

    private final DeviceInfo device;
    private final PciAddress address;
    private final PciConfigSpace config;
    private final PasidCapability pasid;
    private final AtsCapability ats;
    private final PriCapability pri;

    private PciFunction(DeviceInfo device, PciAddress address) {
        this.device = device;
        this.address = address;
        this.config = new PciConfigSpace();
        PciHeader.install(config, address, PciHeader.deviceId(device.pasidCapable(), device.ats(), device.pri()));
        PciExpressCapability.install(config, PciHeader.CAPABILITIES_START, 0, address.bus() == 0);

        int pasidAt = EXTENDED_CAPABILITIES_START;
        int atsAt = pasidAt + (device.pasidCapable() ? PCI_EXT_CAP_PASID_SIZEOF : 0);
        int priAt = atsAt + (device.ats() ? PCI_EXT_CAP_ATS_SIZEOF : 0);
        this.pasid = device.pasidCapable()
                ? PasidCapability.install(config, pasidAt, nextAfter(atsAt, device.ats(), priAt, device.pri()),
                        device.pasidBits(), device.pasidExec(), device.pasidPriv())
                : null;
        this.ats = device.ats() ? AtsCapability.install(config, atsAt, device.pri() ? priAt : 0) : null;
        this.pri = device.pri() ? PriCapability.install(config, priAt, 0, device.pasidCapable()) : null;
    }

    /** The device's PCI function, or empty for a device not named by a PCI address (a platform device). */
    public static Optional<PciFunction> of(DeviceInfo device) {
        Objects.requireNonNull(device, "device");
        return PciAddress.parse(device.name()).map(a -> new PciFunction(device, a));
    }

    /**
     * The PCI functions of {@code devices} by device name, in the given order; devices without a
     * PCI address are left out.
     */
    public static Map<String, PciFunction> forDevices(Collection<DeviceInfo> devices) {
        Map<String, PciFunction> functions = new LinkedHashMap<>();
        for (DeviceInfo d : devices) {
            of(d).ifPresent(f -> functions.put(d.name(), f));
        }
        return Collections.unmodifiableMap(functions);
    }

    public DeviceInfo device() {
        return device;
    }

    public PciAddress address() {
        return address;
    }

    /** The configuration space a VMM reads and writes (vfio-pci's config region). */
    public PciConfigSpace config() {
        return config;
    }

    public Optional<PasidCapability> pasid() {
        return Optional.ofNullable(pasid);
    }

    public Optional<AtsCapability> ats() {
        return Optional.ofNullable(ats);
    }

    public Optional<PriCapability> pri() {
        return Optional.ofNullable(pri);
    }

    /** The offset of the capability after PASID: ATS if present, else PRI if present, else 0 (end). */
    private static int nextAfter(int atsAt, boolean hasAts, int priAt, boolean hasPri) {
        if (hasAts) {
            return atsAt;
        }
        return hasPri ? priAt : 0;
    }

    @Override
    public String toString() {
        return "PciFunction[" + address + " " + device.name() + "]";
    }
}
