package io.nestor.core.platform;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.ioasid.IoasidAllocator;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.platform.DriverStatus;
import io.nestor.api.platform.MediatedDevice;
import io.nestor.api.platform.Platform;
import io.nestor.api.platform.PlatformListener;
import io.nestor.api.platform.PlatformStatistics;
import io.nestor.api.platform.UnitStatus;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.topology.Topology;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.unit.DriverBinding;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The platform as an OSGi component: reads the topology (the embedded default, or the file named
 * by the {@value #PID} configuration's {@value #FILE_PROPERTY} property), tracks every
 * {@link IommuDriver} service dynamically and greedily, and offers the {@link Platform} service.
 *
 * <p>Driver services may be bound before activation (DS binds dynamic references first); they are
 * held in {@link #pending} until the registry exists. A configuration change that names a bad file
 * is refused with an error in the log and the running topology is kept — no partial change.
 *
 * <p>Besides the exported {@link Platform} it registers itself under its own class, which only
 * this bundle can see, so that the core's other components (the shell, sessions) reach the
 * {@link DriverRegistry} without a static.
 */
@Component(service = {Platform.class, PlatformComponent.class}, immediate = true, configurationPid = PlatformComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class PlatformComponent implements Platform {

    public static final String PID = "io.nestor.topology";
    public static final String FILE_PROPERTY = "file";
    /**
     * How long (ms) a translation miss or a control operation on a unit whose driver is being
     * swapped waits for the next driver before failing with EAGAIN.
     */
    public static final String DRIVER_WAIT_PROPERTY = "driver.wait.ms";
    public static final long DEFAULT_DRIVER_WAIT_MILLIS = 10_000;

    /** Host physical address bits: 52, the widest any unit's output (SMMU OAS, VT-d HAW) can use. */
    static final int HOST_ADDRESS_BITS = 52;

    private static final System.Logger LOG = System.getLogger(PlatformComponent.class.getName());

    private final List<DriverBinding> pending = new ArrayList<>();
    /** Allocator services bound before activation; guarded by {@code pending}. */
    private final List<IoasidAllocator> pendingAllocators = new ArrayList<>();
    private volatile DriverRegistry registry;
    private String topologySource;

    @Activate
    public void activate(Map<String, Object> properties) throws IOException {
        String source = fileProperty(properties);
        Topology topology = load(source);
        DriverRegistry r = new DriverRegistry(topology, new SparsePhysicalMemory(HOST_ADDRESS_BITS));
        r.setDriverWaitMillis(driverWait(properties));
        synchronized (pending) {
            registry = r;
            for (DriverBinding b : pending) {
                r.addDriver(b);
            }
            pending.clear();
            for (IoasidAllocator a : pendingAllocators) {
                r.ioasidAllocators().bind(a);
            }
            pendingAllocators.clear();
        }
        topologySource = source;
        LOG.log(System.Logger.Level.INFO, "Nestor platform up: " + topology.units().size() + " units, "
                + topology.devices().size() + " devices from " + describe(source));
    }

    @Modified
    void modified(Map<String, Object> properties) {
        try {
            registry.setDriverWaitMillis(driverWait(properties));
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.ERROR, "configuration refused: " + e.getMessage());
            return;
        }
        String source = fileProperty(properties);
        if (source.equals(topologySource)) {
            return;
        }
        try {
            Topology topology = load(source);
            registry.replaceTopology(topology);
            topologySource = source;
            LOG.log(System.Logger.Level.INFO, "topology replaced from " + describe(source));
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.ERROR, "topology from " + describe(source)
                    + " refused; keeping the one from " + describe(topologySource) + ": " + e.getMessage());
        }
    }

    @Deactivate
    void deactivate() {
        registry = null;
    }

    private static String fileProperty(Map<String, Object> properties) {
        Object v = properties.get(FILE_PROPERTY);
        return v == null ? "" : v.toString().trim();
    }

    private static long driverWait(Map<String, Object> properties) {
        Object v = properties.get(DRIVER_WAIT_PROPERTY);
        if (v == null) {
            return DEFAULT_DRIVER_WAIT_MILLIS;
        }
        long ms;
        try {
            ms = Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(DRIVER_WAIT_PROPERTY + " = '" + v + "' is not a number of milliseconds");
        }
        if (ms < 0) {
            throw new IllegalArgumentException(DRIVER_WAIT_PROPERTY + " = " + ms + " is negative");
        }
        return ms;
    }

    private static Topology load(String source) throws IOException {
        return source.isEmpty() ? TopologyFile.embeddedDefault() : TopologyFile.read(Path.of(source));
    }

    private static String describe(String source) {
        return source.isEmpty() ? "the embedded default topology" : source;
    }

    @Reference(service = IommuDriver.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            updated = "updatedDriver", unbind = "removeDriver")
    void addDriver(ServiceReference<IommuDriver> ref, IommuDriver driver) {
        DriverBinding b = binding(ref, driver);
        synchronized (pending) {
            if (registry == null) {
                pending.add(b);
                return;
            }
        }
        registry.addDriver(b);
    }

    void updatedDriver(ServiceReference<IommuDriver> ref, IommuDriver driver) {
        // A changed ranking may change which driver wins; re-adding replaces the entry by service id.
        addDriver(ref, driver);
    }

    /** A custom PASID allocator (the IOASID series' custom allocator) takes over while present. */
    @Reference(service = IoasidAllocator.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "removeIoasidAllocator")
    void addIoasidAllocator(IoasidAllocator allocator) {
        synchronized (pending) {
            if (registry == null) {
                pendingAllocators.add(allocator);
                return;
            }
        }
        registry.ioasidAllocators().bind(allocator);
    }

    void removeIoasidAllocator(IoasidAllocator allocator) {
        synchronized (pending) {
            if (registry == null) {
                pendingAllocators.remove(allocator);
                return;
            }
        }
        registry.ioasidAllocators().unbind(allocator);
    }

    void removeDriver(ServiceReference<IommuDriver> ref) {
        long id = (Long) ref.getProperty(Constants.SERVICE_ID);
        synchronized (pending) {
            if (registry == null) {
                pending.removeIf(b -> b.serviceId() == id);
                return;
            }
        }
        registry.removeDriver(id);
    }

    private static DriverBinding binding(ServiceReference<IommuDriver> ref, IommuDriver driver) {
        Object kindProp = ref.getProperty(IommuDriver.PROPERTY_KIND);
        String kind = kindProp != null ? kindProp.toString() : driver.kind();
        Object rankingProp = ref.getProperty(Constants.SERVICE_RANKING);
        int ranking = rankingProp instanceof Integer ? (Integer) rankingProp : 0;
        Bundle bundle = ref.getBundle();
        return new DriverBinding(driver, kind, bundle.getSymbolicName(), bundle.getBundleId(),
                bundle.getVersion().toString(), ranking, (Long) ref.getProperty(Constants.SERVICE_ID));
    }

    /** The registry behind this component, for the core's other components (shell, sessions). */
    public DriverRegistry registry() {
        return registry;
    }

    // ---- Platform, delegated ---------------------------------------------------------------------

    @Override
    public List<UnitStatus> units() {
        return registry.units();
    }

    @Override
    public Optional<UnitStatus> unit(String name) {
        return registry.unit(name);
    }

    @Override
    public List<DeviceInfo> devices() {
        return registry.devices();
    }

    @Override
    public List<MediatedDevice> mediatedDevices() {
        return registry.topology().mediated();
    }

    @Override
    public List<DriverStatus> drivers() {
        return registry.drivers();
    }

    @Override
    public PlatformStatistics statistics() {
        return registry.statistics();
    }

    @Override
    public void addListener(PlatformListener listener) {
        registry.addListener(listener);
    }

    @Override
    public void removeListener(PlatformListener listener) {
        registry.removeListener(listener);
    }
}
