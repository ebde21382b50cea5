package io.nestor.core.service;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.session.Session;
import io.nestor.api.session.SessionService;
import io.nestor.core.dma.DeviceDma;
import io.nestor.core.iommufd.DeviceBindings;
import io.nestor.core.iommufd.IommufdEventRouter;
import io.nestor.core.iommufd.IommufdPlatform;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.pci.PciFunction;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.platform.PlatformComponent;
import io.nestor.core.vfio.VfioGroupTable;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The session service: opens sessions over the platform's {@link DriverRegistry}, expires them when
 * their leases run out, routes the platform's events to them, and closes them all when it stops.
 *
 * <p>It reaches the registry through the {@link PlatformComponent} service (registered under its own
 * class, visible to this bundle only) as a static reference: when the platform component goes, this
 * component is deactivated first and every session is released, because its objects live in the
 * registry's memory.
 *
 * <p>Session ids are 128 random bits in hex: a client cannot guess another's session.
 */
@Component(service = {SessionService.class, SessionManager.class}, immediate = true, configurationPid = SessionSettings.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class SessionManager implements SessionService, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SessionManager.class.getName());
    private static final int MAX_CLIENT_NAME = 128;

    private final DriverRegistry registry;
    private final SessionSettings settings;
    private final HostRegions hostMemory;
    private final DeviceDma deviceDma;
    private final EventRouter router;
    /** Page requests and faults of devices bound to sessions' iommufd contexts, to their queues. */
    private final IommufdEventRouter iommufdRouter;
    /**
     * The platform's iommufd side shared by every session: device ownership (a device is bound to
     * one iommufd context or VFIO container at a time) and the structure pages of paging domains.
     */
    private final IommufdPlatform iommufdPlatform;
    /** The VFIO IOMMU groups of the topology, shared by every session's containers. */
    private final VfioGroupTable vfioGroups;
    /**
     * The PCI function of each device of the topology, by name: one config space per device for
     * the whole platform, so what a VMM wrote (PASID / ATS / PRI enables) survives its session, as
     * the device's registers survive a closed file.
     */
    private final Map<String, PciFunction> pciFunctions;
    private final ScheduledThreadPoolExecutor scheduler;
    private final SecureRandom random = new SecureRandom();
    /** Open sessions in opening order; guarded by itself for the count check. */
    private final Map<String, CoreSession> sessions = Collections.synchronizedMap(new LinkedHashMap<>());
    private volatile boolean closed;

    @Activate
    public SessionManager(@Reference PlatformComponent platform, SessionConfig config) {
        this(platform.registry(), SessionSettings.of(config));
    }

    /**
     * A session service over {@code registry}, outside OSGi (tests, benchmarks). A factory rather
     * than a public constructor: Declarative Services picks the activation constructor by its
     * parameter count, and a second public two-argument constructor would be ambiguous to it.
     */
    public static SessionManager over(DriverRegistry registry, SessionSettings settings) {
        return new SessionManager(registry, settings);
    }

    private SessionManager(DriverRegistry registry, SessionSettings settings) {
        this.registry = registry;
        this.settings = settings;
        PhysicalMemory memory = registry.memory();
        if (!(memory instanceof SparsePhysicalMemory)) {
            throw new IllegalArgumentException("sessions need the registry's memory to be a SparsePhysicalMemory, not "
                    + memory.getClass().getName());
        }
        this.hostMemory = new HostRegions((SparsePhysicalMemory) memory, settings.regionDirectory());
        this.deviceDma = new DeviceDma(registry);
        this.iommufdPlatform = IommufdPlatform.of(registry, new DeviceBindings());
        this.vfioGroups = new VfioGroupTable(registry);
        this.pciFunctions = PciFunction.forDevices(registry.topology().devices());
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "nestor-session-lease");
            t.setDaemon(true);
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        this.router = new EventRouter(registry, this::openSessions);
        registry.faults().addListener(router);
        registry.addListener(router);
        this.iommufdRouter = new IommufdEventRouter(iommufdPlatform);
        registry.faults().addListener(iommufdRouter);
    }

    public SessionSettings settings() {
        return settings;
    }

    DriverRegistry registry() {
        return registry;
    }

    HostRegions hostMemory() {
        return hostMemory;
    }

    DeviceDma deviceDma() {
        return deviceDma;
    }

    /** Device ownership and table pages, one for the whole platform. */
    IommufdPlatform iommufdPlatform() {
        return iommufdPlatform;
    }

    VfioGroupTable vfioGroups() {
        return vfioGroups;
    }

    /** The PCI function of each device by name (devices without a PCI address are absent). */
    Map<String, PciFunction> pciFunctions() {
        return pciFunctions;
    }

    @Override
    public Session open(String clientName, long leaseMillis) {
        if (clientName == null || clientName.isEmpty() || clientName.length() > MAX_CLIENT_NAME
                || clientName.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw IommuException.of(Errno.EINVAL, "client name '%s' is not 1..%d printable characters", clientName,
                    MAX_CLIENT_NAME);
        }
        if (leaseMillis < 0) {
            // a uint64 lease_millis of 2^63 or more arrives negative: name the value the client sent
            throw IommuException.of(Errno.EINVAL, "lease %s ms is beyond %d ms", Long.toUnsignedString(leaseMillis),
                    Long.MAX_VALUE);
        }
        long lease = leaseMillis == 0 ? settings.defaultLeaseMillis() : Math.min(leaseMillis, settings.maxLeaseMillis());
        byte[] idBits = new byte[16];
        random.nextBytes(idBits);
        String id = HexFormat.of().formatHex(idBits);
        CoreSession session = new CoreSession(id, clientName, lease, settings.quotas(), this, scheduler);
        synchronized (sessions) {
            if (closed) {
                throw IommuException.of(Errno.EAGAIN, "the session service is stopping");
            }
            if (sessions.size() >= settings.maxSessions()) {
                throw IommuException.of(Errno.ENOSPC, "%d sessions are open, the maximum", sessions.size());
            }
            sessions.put(id, session);
        }
        session.startLease();
        LOG.log(System.Logger.Level.INFO, "session " + id + " opened for " + clientName + ", lease " + lease + " ms");
        return session;
    }

    @Override
    public Optional<Session> find(String id) {
        return Optional.ofNullable(id == null ? null : sessions.get(id));
    }

    @Override
    public List<Session> sessions() {
        return List.copyOf(openSessions());
    }

    /**
     * The iommufd objects of the open sessions whose id starts with {@code idPrefix} (all sessions
     * for an empty prefix), for the operator's shell.
     */
    public List<SessionObject> objects(String idPrefix) {
        List<SessionObject> out = new ArrayList<>();
        for (CoreSession s : openSessions()) {
            if (s.id().startsWith(idPrefix)) {
                try {
                    out.addAll(s.iommufd().objects());
                } catch (IommuException closedMeanwhile) {
                    // closed while it was listed
                }
            }
        }
        return out;
    }

    private List<CoreSession> openSessions() {
        synchronized (sessions) {
            return List.copyOf(sessions.values());
        }
    }

    /** Called by a session as its release begins. */
    void forget(CoreSession session) {
        sessions.remove(session.id(), session);
    }

    /** Releases every session and stops the lease thread. */
    @Deactivate
    @Override
    public void close() {
        synchronized (sessions) {
            closed = true;
        }
        // The service is going away — at framework shutdown after the driver bundles stopped: releasing
        // the sessions must not wait for drivers that will not come back (driver.wait.ms per call).
        long driverWait = registry.driverWaitMillis();
        registry.setDriverWaitMillis(0);
        try {
            for (CoreSession s : openSessions()) {
                s.release();
            }
        } finally {
            registry.setDriverWaitMillis(driverWait);
        }
        registry.faults().removeListener(router);
        registry.removeListener(router);
        registry.faults().removeListener(iommufdRouter);
        deviceDma.close();
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
