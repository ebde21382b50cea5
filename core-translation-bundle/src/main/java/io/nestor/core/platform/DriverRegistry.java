package io.nestor.core.platform;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.platform.DriverStatus;
import io.nestor.api.platform.Platform;
import io.nestor.api.platform.PlatformListener;
import io.nestor.api.platform.UnitState;
import io.nestor.api.platform.UnitStatus;
import io.nestor.core.topology.Topology;
import io.nestor.core.topology.UnitSpec;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The platform's units and the driver services offered for them: binds each unit to the
 * highest-ranked driver of its kind, rebinds when drivers come and go, and answers the
 * {@link Platform} queries.
 *
 * <p>Lock order: {@code this} (the binding lock) is taken for every change of drivers or topology
 * and never held while listeners run. Unit state for the translation path is published through
 * {@link IommuUnit}'s volatile binding and needs no lock to read.
 */
public final class DriverRegistry implements Platform {

    private static final System.Logger LOG = System.getLogger(DriverRegistry.class.getName());

    private final PhysicalMemory memory;
    private final List<PlatformListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Long, DriverBinding> drivers = new LinkedHashMap<>();
    private volatile Topology topology;
    private volatile Map<String, IommuUnit> units;

    public DriverRegistry(Topology topology, PhysicalMemory memory) {
        this.memory = memory;
        this.topology = topology;
        this.units = createUnits(topology);
    }

    private Map<String, IommuUnit> createUnits(Topology t) {
        Map<String, IommuUnit> map = new LinkedHashMap<>();
        for (UnitSpec spec : t.units()) {
            map.put(spec.name(), new IommuUnit(spec, memory));
        }
        return map;
    }

    /** The runtime unit of that name, if the topology has it. */
    public Optional<IommuUnit> runtimeUnit(String name) {
        return Optional.ofNullable(units.get(name));
    }

    public List<IommuUnit> runtimeUnits() {
        return List.copyOf(units.values());
    }

    public Topology topology() {
        return topology;
    }

    /** A driver service appeared (or changed its ranking): rebinds the units of its kind. */
    public void addDriver(DriverBinding binding) {
        List<String> changed;
        synchronized (this) {
            drivers.put(binding.serviceId(), binding);
            changed = rebind(binding.kind());
        }
        fire(changed);
    }

    /** A driver service left: its units move to the next-best driver of their kind, or none. */
    public void removeDriver(long serviceId) {
        List<String> changed;
        synchronized (this) {
            DriverBinding gone = drivers.remove(serviceId);
            if (gone == null) {
                return;
            }
            changed = rebind(gone.kind());
        }
        fire(changed);
    }

    /**
     * Replaces the topology. All units are recreated, so any state of the old units is dropped;
     * the new units bind to the drivers present.
     */
    public void replaceTopology(Topology newTopology) {
        synchronized (this) {
            Map<String, IommuUnit> fresh = createUnits(newTopology);
            for (IommuUnit u : units.values()) {
                u.unbind();
            }
            topology = newTopology;
            units = fresh;
            for (IommuUnit u : fresh.values()) {
                rebindUnit(u);
            }
        }
        fire(java.util.Collections.singletonList(null));
    }

    /** Rebinds every unit of {@code kind}; returns the names of units whose binding changed. */
    private List<String> rebind(String kind) {
        List<String> changed = new ArrayList<>();
        for (IommuUnit u : units.values()) {
            if (u.kind().equals(kind) && rebindUnit(u)) {
                changed.add(u.name());
            }
        }
        return changed;
    }

    private boolean rebindUnit(IommuUnit unit) {
        DriverBinding current = unit.binding();
        for (DriverBinding candidate : rankedFor(unit.kind())) {
            if (candidate == current) {
                return false;
            }
            try {
                unit.bind(candidate);
                return true;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "driver " + candidate.bundleSymbolicName() + " "
                        + candidate.version() + " failed to bind unit " + unit.name() + "; trying the next", e);
            }
        }
        if (current == null) {
            return false;
        }
        unit.unbind();
        return true;
    }

    private List<DriverBinding> rankedFor(String kind) {
        List<DriverBinding> ranked = new ArrayList<>();
        for (DriverBinding d : drivers.values()) {
            if (d.kind().equals(kind)) {
                ranked.add(d);
            }
        }
        ranked.sort((a, b) -> a.outranks(b) ? -1 : b.outranks(a) ? 1 : 0);
        return ranked;
    }

    private void fire(List<String> changedUnits) {
        for (String unit : changedUnits) {
            for (PlatformListener l : listeners) {
                try {
                    l.platformChanged(unit);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "platform listener " + l + " failed", e);
                }
            }
        }
    }

    // ---- Platform --------------------------------------------------------------------------------

    @Override
    public List<UnitStatus> units() {
        List<UnitStatus> out = new ArrayList<>();
        for (IommuUnit u : units.values()) {
            out.add(status(u));
        }
        return out;
    }

    @Override
    public Optional<UnitStatus> unit(String name) {
        IommuUnit u = units.get(name);
        return u == null ? Optional.empty() : Optional.of(status(u));
    }

    private static UnitStatus status(IommuUnit u) {
        DriverBinding b = u.binding();
        return new UnitStatus(u.name(), u.kind(), b == null ? UnitState.UNAVAILABLE : UnitState.ACTIVE,
                b == null ? "" : b.version(), u.features(), u.hwInfo());
    }

    @Override
    public List<DeviceInfo> devices() {
        return topology.devices();
    }

    @Override
    public synchronized List<DriverStatus> drivers() {
        List<DriverStatus> out = new ArrayList<>();
        for (DriverBinding d : drivers.values()) {
            List<String> bound = new ArrayList<>();
            for (IommuUnit u : units.values()) {
                if (u.binding() == d) {
                    bound.add(u.name());
                }
            }
            out.add(new DriverStatus(d.kind(), d.bundleSymbolicName(), d.bundleId(), d.version(), d.ranking(),
                    d.serviceId(), bound));
        }
        return out;
    }

    @Override
    public void addListener(PlatformListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(PlatformListener listener) {
        listeners.remove(listener);
    }
}
