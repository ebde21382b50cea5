package io.nestor.core.platform;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.platform.CacheCounters;
import io.nestor.api.platform.DriverStatus;
import io.nestor.api.platform.Platform;
import io.nestor.api.platform.PlatformListener;
import io.nestor.api.platform.PlatformStatistics;
import io.nestor.api.platform.UnitState;
import io.nestor.api.platform.UnitStatus;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.core.cache.CacheStatistics;
import io.nestor.core.cache.TranslationCaches;
import io.nestor.core.fault.FaultReporter;
import io.nestor.core.ioasid.IoasidAllocatorTracker;
import io.nestor.core.ioasid.IoasidSet;
import io.nestor.core.ioasid.IoasidSpace;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.topology.Topology;
import io.nestor.core.topology.UnitSpec;
import io.nestor.core.translate.TranslationEngine;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.DriverLease;
import io.nestor.core.unit.IommuUnit;
import io.nestor.core.unit.UnitHost;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The platform's units and the driver services offered for them: binds each unit to the
 * highest-ranked driver of its kind, rebinds when drivers come and go, and answers the
 * {@link Platform} queries. It also owns the platform's {@link TranslationEngine}, whose
 * configuration misses it answers through the bound driver's {@code decodeConfig}.
 *
 * <p>When a unit's driver changes or leaves, the unit's cached configurations are dropped (they hold
 * the old driver's format objects); its IOTLB entries, plain numbers, keep being served.
 *
 * <p>Lock order: {@code this} (the binding lock) is taken for every change of drivers or topology
 * and never held while listeners run. Unit state for the translation path is published through
 * {@link IommuUnit}'s volatile binding and needs no lock to read.
 */
public final class DriverRegistry implements Platform, UnitHost {

    private static final System.Logger LOG = System.getLogger(DriverRegistry.class.getName());

    /** Cache sizes: IOTLB entries, walk-cache entries, cached configurations. */
    static final int IOTLB_CAPACITY = 1 << 14;
    static final int WALK_CACHE_CAPACITY = 1 << 12;
    static final int CONFIG_CACHE_CAPACITY = 1 << 12;

    /**
     * The window host drivers build their structures in (root, context and PASID tables, stream and
     * CD tables, queues): 64 GiB at 2^46, inside every unit's 48-bit output range and apart from
     * guest-RAM regions.
     */
    static final long STRUCTURE_WINDOW_BASE = 1L << 46;
    static final long STRUCTURE_WINDOW_SIZE = 1L << 36;

    private final PhysicalMemory memory;
    private final PageAllocator structurePages;
    private final List<PageResponseListener> pageResponseListeners = new CopyOnWriteArrayList<>();
    private final FaultReporter faults = new FaultReporter(this::topology);
    /** Custom PASID allocator services; they follow the space across topology replacements. */
    private final IoasidAllocatorTracker ioasidAllocators = new IoasidAllocatorTracker();
    private volatile IoasidSpace ioasids;
    /** How long a miss or a control operation waits for a driver while its unit has none. */
    private volatile long driverWaitMillis;
    private final List<PlatformListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Long, DriverBinding> drivers = new LinkedHashMap<>();
    /** Unit name to the driver version the operator pinned it to; guarded by {@code this}. */
    private final Map<String, String> pinned = new java.util.HashMap<>();
    private volatile Topology topology;
    private volatile Map<String, IommuUnit> units;
    private volatile IommuUnit[] unitsByIndex;
    private volatile Map<Long, DeviceInfo> devicesBySource;
    private volatile TranslationEngine engine;

    public DriverRegistry(Topology topology, PhysicalMemory memory) {
        this.memory = memory;
        this.structurePages = new PageAllocator(memory, STRUCTURE_WINDOW_BASE, STRUCTURE_WINDOW_SIZE, 12);
        install(topology);
    }

    /** Creates the units, device index and a fresh engine for {@code t}; called under the binding lock. */
    private void install(Topology t) {
        Map<String, IommuUnit> map = new LinkedHashMap<>();
        List<IommuUnit> byIndex = new ArrayList<>();
        for (UnitSpec spec : t.units()) {
            IommuUnit u = new IommuUnit(spec, byIndex.size(), memory, this);
            map.put(spec.name(), u);
            byIndex.add(u);
        }
        Map<Long, DeviceInfo> bySource = new java.util.HashMap<>();
        for (DeviceInfo d : t.devices()) {
            if (t.mediation(d.name()).isEmpty()) { // a mediated device's requests are its parent's
                bySource.put(sourceKey(map.get(d.unit()).index(), d.sourceId()), d);
            }
        }
        topology = t;
        units = map;
        unitsByIndex = byIndex.toArray(new IommuUnit[0]);
        devicesBySource = bySource;
        List<UnitFeatures> features = new ArrayList<>();
        for (UnitSpec spec : t.units()) {
            features.add(spec.features());
        }
        ioasids = IoasidSpace.forUnits(features);
        reserveDefaultPasids(t, ioasids);
        ioasidAllocators.useSpace(ioasids);
        engine = new TranslationEngine(memory,
                new TranslationCaches(IOTLB_CAPACITY, WALK_CACHE_CAPACITY, CONFIG_CACHE_CAPACITY), this::decode);
    }

    /** The set that holds the mediated devices' default PASIDs for as long as the topology lasts. */
    public static final String MEDIATED_PASID_SET = "mediated-devices";

    /**
     * Takes the mediated devices' default PASIDs out of the system-wide space before any client
     * (or custom allocator) can allocate, as the kernel takes a Scalable IOV device's default
     * PASID from its global PASID allocator ({@code iommu_alloc_global_pasid}), the one SVA
     * allocates from too: no PASID request can be handed one of them.
     */
    private static void reserveDefaultPasids(Topology t, IoasidSpace space) {
        if (t.mediated().isEmpty()) {
            return;
        }
        IoasidSet set = space.openSet(MEDIATED_PASID_SET, t.mediated().size());
        for (io.nestor.api.platform.MediatedDevice m : t.mediated()) {
            if (m.defaultPasid() > space.maxPasid()) {
                throw new IllegalArgumentException(String.format(
                        "mediated device %s: default PASID %d is beyond the platform's PASID space (1..%d)",
                        m.name(), m.defaultPasid(), space.maxPasid()));
            }
            set.allocate(m.defaultPasid(), m.defaultPasid());
        }
    }

    private static long sourceKey(int unitIndex, int sourceId) {
        return (long) unitIndex << 32 | (sourceId & 0xffff_ffffL);
    }

    /**
     * Sets how long translation misses and control operations on a unit without a driver wait for
     * one (a swap in progress) before failing with EAGAIN; 0 fails at once.
     */
    public void setDriverWaitMillis(long millis) {
        if (millis < 0) {
            throw IommuException.of(Errno.EINVAL, "negative driver wait %d ms", millis);
        }
        driverWaitMillis = millis;
    }

    public long driverWaitMillis() {
        return driverWaitMillis;
    }

    /** The system-wide PASID space, as wide as the narrowest PASID-capable unit. */
    public IoasidSpace ioasids() {
        return ioasids;
    }

    /** Where the platform component hands custom PASID allocator services. */
    public IoasidAllocatorTracker ioasidAllocators() {
        return ioasidAllocators;
    }

    /** Host physical memory, shared by every unit. */
    public PhysicalMemory memory() {
        return memory;
    }

    /** The upward path of the units' faults and page requests. */
    public FaultReporter faults() {
        return faults;
    }

    /** The translation engine over the current topology's units. */
    public TranslationEngine engine() {
        return engine;
    }

    /**
     * The engine's configuration decoder: the unit's bound driver reads the configuration from the
     * unit's registers and memory.
     */
    private TranslationConfig decode(int unitIndex, int sourceId, int pasid) throws FaultException {
        IommuUnit[] byIndex = unitsByIndex;
        if (unitIndex < 0 || unitIndex >= byIndex.length) {
            throw IommuException.of(Errno.ENODEV, "no unit with id %d", unitIndex);
        }
        IommuUnit unit = byIndex[unitIndex];
        DeviceInfo device = devicesBySource.get(sourceKey(unitIndex, sourceId));
        if (device == null) {
            throw IommuException.of(Errno.ENODEV, "no device with source-id 0x%x behind unit %s", sourceId,
                    unit.name());
        }
        try (DriverLease lease = unit.enterDriver(driverWaitMillis)) {
            return lease.driver().decodeConfig(unit, device, pasid);
        }
    }

    // ---- UnitHost: what units borrow from the platform ---------------------------------------------

    @Override
    public int invalidate(InvalidationScope scope) {
        return engine.invalidate(scope);
    }

    @Override
    public long translateStage2(int unit, StageConfig stage2, int domainTag, long ipa, int access)
            throws FaultException {
        return engine.translateStage2(stage2, domainTag, ipa, access);
    }

    @Override
    public PageAllocator structurePages() {
        return structurePages;
    }

    @Override
    public void completePageRequest(IommuUnit unit, int sourceId, PageResponse response) {
        for (PageResponseListener l : pageResponseListeners) {
            l.pageResponse(unit.name(), sourceId, response);
        }
    }

    /** Registers a receiver of the page responses units deliver to their devices. */
    public void addPageResponseListener(PageResponseListener listener) {
        pageResponseListeners.add(listener);
    }

    public void removePageResponseListener(PageResponseListener listener) {
        pageResponseListeners.remove(listener);
    }

    /** The runtime unit of that name, if the topology has it. */
    public Optional<IommuUnit> runtimeUnit(String name) {
        return Optional.ofNullable(units.get(name));
    }

    /**
     * The unit that translates {@code device}'s DMA.
     *
     * @throws IommuException ENODEV when the current topology has no such unit (the device comes
     *     from a topology since replaced)
     */
    public IommuUnit unitOf(DeviceInfo device) {
        IommuUnit unit = units.get(device.unit());
        if (unit == null) {
            throw IommuException.of(Errno.ENODEV, "device %s names unit %s, which the topology lacks",
                    device.name(), device.unit());
        }
        return unit;
    }

    /**
     * The physical device whose requests {@code device}'s are: its parent for an IOMMU-backed
     * mediated device, else the device itself.
     */
    public DeviceInfo requester(DeviceInfo device) {
        Topology t = topology;
        return t.mediated().isEmpty() ? device : t.mediation(device.name())
                .map(m -> t.device(m.parent()).orElseThrow()).orElse(device);
    }

    /**
     * The PASID {@code device}'s request with {@code pasid} carries on the bus: a mediated device's
     * requests without PASID carry its default PASID; everything else is unchanged.
     */
    public int requesterPasid(DeviceInfo device, int pasid) {
        Topology t = topology;
        if (pasid != DeviceInfo.NO_PASID || t.mediated().isEmpty()) {
            return pasid;
        }
        return t.mediation(device.name()).map(io.nestor.api.platform.MediatedDevice::defaultPasid).orElse(pasid);
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
            for (IommuUnit u : units.values()) {
                u.unbind();
            }
            install(newTopology);
            for (IommuUnit u : units.values()) {
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
        for (DriverBinding candidate : rankedFor(unit)) {
            if (candidate == current) {
                return false;
            }
            try {
                unit.bind(candidate);
                dropDriverObjects(unit, current);
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
        dropDriverObjects(unit, current);
        return true;
    }

    /** After {@code previous} stopped serving {@code unit}: forget the configurations it decoded. */
    private void dropDriverObjects(IommuUnit unit, DriverBinding previous) {
        if (previous != null) {
            engine.caches().driverLeft(unit.index());
        }
    }

    /**
     * The drivers that may serve {@code unit}, best first: those of the version the unit is pinned
     * to (if any is present), then the rest in service order.
     */
    private List<DriverBinding> rankedFor(IommuUnit unit) {
        String pin = pinned.get(unit.name());
        List<DriverBinding> ranked = new ArrayList<>();
        for (DriverBinding d : drivers.values()) {
            if (d.kind().equals(unit.kind())) {
                ranked.add(d);
            }
        }
        ranked.sort((a, b) -> {
            boolean pa = a.version().equals(pin);
            boolean pb = b.version().equals(pin);
            if (pa != pb) {
                return pa ? -1 : 1;
            }
            return a.outranks(b) ? -1 : b.outranks(a) ? 1 : 0;
        });
        return ranked;
    }

    /**
     * Pins {@code unit} to the driver version {@code version} (the operator's "switch this unit to
     * another installed version") and rebinds it; with an empty version, removes the pin. The unit
     * keeps its state: this is a rebind. Calls in the driver it leaves drain first.
     *
     * @return nanoseconds the rebind took, the drain included: the pause requests could have seen
     * @throws IommuException ENOENT for an unknown unit, or when no driver of that version and the
     *     unit's kind is registered (nothing changes then)
     */
    public long pin(String unitName, String version) {
        List<String> changed;
        long start;
        long took;
        synchronized (this) {
            IommuUnit unit = units.get(unitName);
            if (unit == null) {
                throw IommuException.of(Errno.ENOENT, "no unit named '%s'", unitName);
            }
            if (!version.isEmpty() && drivers.values().stream()
                    .noneMatch(d -> d.kind().equals(unit.kind()) && d.version().equals(version))) {
                throw IommuException.of(Errno.ENOENT, "no %s driver of version %s is registered for unit %s",
                        unit.kind(), version, unitName);
            }
            if (version.isEmpty()) {
                pinned.remove(unitName);
            } else {
                pinned.put(unitName, version);
            }
            start = System.nanoTime();
            changed = rebindUnit(unit) ? List.of(unitName) : List.of();
            took = System.nanoTime() - start;
        }
        fire(changed);
        return took;
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

    @Override
    public PlatformStatistics statistics() {
        TranslationEngine e = engine;
        List<CacheCounters> caches = new ArrayList<>();
        for (CacheStatistics c : e.caches().statistics()) {
            caches.add(new CacheCounters(c.cache(), c.capacity(), c.entries(), c.hits(), c.misses(), c.fills(),
                    c.evictions(), c.invalidations(), c.invalidatedEntries()));
        }
        Map<String, Long> faultsByUnit = new LinkedHashMap<>();
        for (IommuUnit u : units.values()) {
            faultsByUnit.put(u.name(), faults.count(u.name()));
        }
        return new PlatformStatistics(caches, faultsByUnit, e.caches().iotlb().staleTranslationCount(), e.isStrict());
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
