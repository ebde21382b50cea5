package io.nestor.core.topology;

import io.nestor.api.driver.DeviceInfo;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The platform's units and the devices behind them. Immutable; validated on construction so that
 * a topology that exists is consistent: unique unit and device names, every device behind a
 * declared unit, no two devices of one unit with the same source-id (RID / StreamID), source-ids
 * within the unit's StreamID width.
 */
public record Topology(List<UnitSpec> units, List<DeviceInfo> devices) {

    public Topology {
        units = List.copyOf(units);
        devices = List.copyOf(devices);
        Map<String, UnitSpec> byName = new HashMap<>();
        for (UnitSpec u : units) {
            if (byName.putIfAbsent(u.name(), u) != null) {
                throw new IllegalArgumentException("unit " + u.name() + " declared twice");
            }
        }
        Set<String> deviceNames = new HashSet<>();
        Set<String> sourceIds = new HashSet<>();
        for (DeviceInfo d : devices) {
            if (!deviceNames.add(d.name())) {
                throw new IllegalArgumentException("device " + d.name() + " declared twice");
            }
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
            if (!sourceIds.add(d.unit() + "/" + d.sourceId())) {
                throw new IllegalArgumentException(String.format(
                        "device %s: source-id 0x%x already used behind unit %s", d.name(), d.sourceId(), d.unit()));
            }
        }
    }

    public Optional<UnitSpec> unit(String name) {
        return units.stream().filter(u -> u.name().equals(name)).findFirst();
    }

    public Optional<DeviceInfo> device(String name) {
        return devices.stream().filter(d -> d.name().equals(name)).findFirst();
    }
}
