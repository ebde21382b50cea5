package io.nestor.core.topology;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.platform.MediatedDevice;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The platform's units and the devices behind them. Immutable; validated on construction so that
 * a topology that exists is consistent: unique unit and device names, every device behind a
 * declared unit, no two physical devices of one unit with the same source-id (RID / StreamID),
 * source-ids within the unit's StreamID width.
 *
 * <p>Some devices may be IOMMU-backed mediated devices ({@link MediatedDevice}): each is also in
 * {@link #devices()} — as its users see it: behind its parent's unit, with its parent's source-id
 * (its requests are the parent's on the bus) and no PASID, ATS or PRI capability of its own — and
 * is described in {@link #mediated()}. Its parent is a physical device of the topology with a
 * PASID capability wide enough for the default PASID; default PASIDs are unique platform-wide,
 * because they come out of the one system-wide PASID space.
 */
public record Topology(List<UnitSpec> units, List<DeviceInfo> devices, List<MediatedDevice> mediated) {

    /** A topology without mediated devices. */
    public Topology(List<UnitSpec> units, List<DeviceInfo> devices) {
        this(units, devices, List.of());
    }

    public Topology {
        units = List.copyOf(units);
        devices = List.copyOf(devices);
        mediated = List.copyOf(mediated);
        Map<String, UnitSpec> byName = new HashMap<>();
        for (UnitSpec u : units) {
            if (byName.putIfAbsent(u.name(), u) != null) {
                throw new IllegalArgumentException("unit " + u.name() + " declared twice");
            }
        }
        Map<String, DeviceInfo> deviceByName = new HashMap<>();
        for (DeviceInfo d : devices) {
            if (deviceByName.putIfAbsent(d.name(), d) != null) {
                throw new IllegalArgumentException("device " + d.name() + " declared twice");
            }
        }
        Set<String> mediatedNames = new HashSet<>();
        for (MediatedDevice m : mediated) {
            mediatedNames.add(m.name());
        }
        Set<String> sourceIds = new HashSet<>();
        for (DeviceInfo d : devices) {
            UnitSpec unit = byName.get(d.unit());
            if (unit == null) {
                throw new IllegalArgumentException("device " + d.name() + " is behind unknown unit " + d.unit());
            }
            int idBits = IommuKinds.sourceIdBits(unit);
            if (idBits < 32 && (d.sourceId() >>> idBits) != 0) {
                throw new IllegalArgumentException(String.format(
                        "device %s: source-id 0x%x does not fit the %d-bit IDs of unit %s", d.name(),
                        d.sourceId(), idBits, unit.name()));
            }
            if (!mediatedNames.contains(d.name()) && !sourceIds.add(d.unit() + "/" + d.sourceId())) {
                throw new IllegalArgumentException(String.format(
                        "device %s: source-id 0x%x already used behind unit %s", d.name(), d.sourceId(), d.unit()));
            }
        }
        checkMediated(mediated, deviceByName, mediatedNames, byName);
    }

    private static void checkMediated(List<MediatedDevice> mediated, Map<String, DeviceInfo> deviceByName,
            Set<String> mediatedNames, Map<String, UnitSpec> units) {
        Map<Integer, String> pasids = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (MediatedDevice m : mediated) {
            if (!seen.add(m.name())) {
                throw new IllegalArgumentException("mediated device " + m.name() + " described twice");
            }
            DeviceInfo self = deviceByName.get(m.name());
            DeviceInfo parent = deviceByName.get(m.parent());
            if (self == null) {
                throw new IllegalArgumentException("mediated device " + m.name() + " is not among the devices");
            }
            if (parent == null || mediatedNames.contains(m.parent())) {
                throw new IllegalArgumentException("mediated device " + m.name() + ": parent " + m.parent()
                        + (parent == null ? " is not a device of the topology" : " is itself a mediated device"));
            }
            if (!self.unit().equals(parent.unit()) || self.sourceId() != parent.sourceId()) {
                throw new IllegalArgumentException("mediated device " + m.name() + " must sit behind its parent's unit "
                        + parent.unit() + " with its parent's source-id");
            }
            if (self.pasidBits() != 0 || self.ats() || self.pri()) {
                throw new IllegalArgumentException("mediated device " + m.name()
                        + " has no PASID, ATS or PRI capability of its own: its DMA is its parent's");
            }
            int bits = Math.min(parent.pasidBits(), units.get(parent.unit()).features().pasidBits());
            if (bits == 0 || (bits < 31 && m.defaultPasid() >= 1 << bits)) {
                throw new IllegalArgumentException(String.format(
                        "mediated device %s: default PASID %d is outside parent %s's PASIDs [1, 2^%d)", m.name(),
                        m.defaultPasid(), parent.name(), bits));
            }
            String other = pasids.putIfAbsent(m.defaultPasid(), m.name());
            if (other != null) {
                throw new IllegalArgumentException(String.format(
                        "mediated device %s: default PASID %d is already %s's (PASIDs are system-wide)", m.name(),
                        m.defaultPasid(), other));
            }
        }
    }

    public Optional<UnitSpec> unit(String name) {
        return units.stream().filter(u -> u.name().equals(name)).findFirst();
    }

    public Optional<DeviceInfo> device(String name) {
        return devices.stream().filter(d -> d.name().equals(name)).findFirst();
    }

    /** The mediation of {@code device}, when it is an IOMMU-backed mediated device. */
    public Optional<MediatedDevice> mediation(String device) {
        for (MediatedDevice m : mediated) {
            if (m.name().equals(device)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** The mediated devices carved out of {@code parent}. */
    public List<MediatedDevice> mediatedOf(String parent) {
        return mediated.stream().filter(m -> m.parent().equals(parent)).toList();
    }

    /**
     * Who issued a request that reached the unit as {@code physical}'s with {@code pasid}: the
     * mediated device whose default PASID that is, or {@code physical} itself.
     */
    public DeviceInfo issuer(DeviceInfo physical, int pasid) {
        if (pasid > 0 && !mediated.isEmpty()) {
            for (MediatedDevice m : mediated) {
                if (m.defaultPasid() == pasid && m.parent().equals(physical.name())) {
                    return device(m.name()).orElseThrow();
                }
            }
        }
        return physical;
    }
}
