package io.nestor.core.shell;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.platform.DriverStatus;
import io.nestor.api.platform.MediatedDevice;
import io.nestor.api.platform.Platform;
import io.nestor.api.platform.UnitState;
import io.nestor.api.platform.UnitStatus;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.core.cache.CacheStatistics;
import io.nestor.core.fault.FaultEvent;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.platform.PlatformComponent;
import io.nestor.core.translate.TranslationEngine;
import io.nestor.core.translate.TranslationTrace;
import io.nestor.core.unit.IommuUnit;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The operator's view of the platform in the Gogo shell, scope {@code nestor}.
 *
 * <p>As Felix SCR's commands do, each command returns data — a list of row objects whose
 * {@code toString()} is one line (or a block with {@code -v}) — and leaves printing to the shell,
 * so that the same commands can be piped and scripted.
 */
@Component(service = NestorCommands.class, property = {
        "osgi.command.scope=nestor",
        "osgi.command.function=units",
        "osgi.command.function=devices",
        "osgi.command.function=drivers",
        "osgi.command.function=faults",
        "osgi.command.function=iotlb",
        "osgi.command.function=strict",
        "osgi.command.function=translate",
        "osgi.command.function=swap"})
public final class NestorCommands {

    private final Platform platform;
    private final PlatformComponent component;
    /** The bundle context, for updating driver bundles; null in unit tests. */
    private final BundleContext context;

    @org.osgi.service.component.annotations.Activate
    public NestorCommands(@Reference PlatformComponent component, BundleContext context) {
        this.platform = component;
        this.component = component;
        this.context = context;
    }

    /** Without a framework: the commands that need no bundle context. */
    NestorCommands(PlatformComponent component) {
        this(component, null);
    }

    private DriverRegistry registry() {
        DriverRegistry r = component.registry();
        if (r == null) {
            throw IommuException.of(Errno.EAGAIN, "the platform is not active");
        }
        return r;
    }

    @Descriptor("list the IOMMU units with their kind, state and bound driver version")
    public List<UnitRow> units(
            @Descriptor("also show features and hardware registers")
            @Parameter(names = {"-v", "--verbose"}, presentValue = "true", absentValue = "false")
            boolean verbose) {
        List<UnitRow> rows = new ArrayList<>();
        for (UnitStatus u : platform.units()) {
            rows.add(new UnitRow(u, verbose));
        }
        return rows;
    }

    @Descriptor("list the devices with their unit, source-id and PCI capabilities; a mediated device"
            + " with its parent and default PASID")
    public List<DeviceRow> devices(
            @Descriptor("only the devices behind this unit; all when omitted")
            @Parameter(names = {"-u", "--unit"}, absentValue = "") String unit) {
        Map<String, MediatedDevice> mediated = new HashMap<>();
        for (MediatedDevice m : platform.mediatedDevices()) {
            mediated.put(m.name(), m);
        }
        List<DeviceRow> rows = new ArrayList<>();
        for (DeviceInfo d : platform.devices()) {
            if (unit.isEmpty() || d.unit().equals(unit)) {
                rows.add(new DeviceRow(d, Optional.ofNullable(mediated.get(d.name()))));
            }
        }
        return rows;
    }

    @Descriptor("list the registered IOMMU driver services and the units bound to each")
    public List<DriverRow> drivers() {
        List<DriverRow> rows = new ArrayList<>();
        for (DriverStatus d : platform.drivers()) {
            rows.add(new DriverRow(d));
        }
        return rows;
    }

    @Descriptor("show the most recent faults of every unit, or of one, newest first")
    public List<FaultRow> faults(
            @Descriptor("only this unit's faults; all units when omitted")
            @Parameter(names = {"-u", "--unit"}, absentValue = "") String unit,
            @Descriptor("how many faults per unit, at most")
            @Parameter(names = {"-n", "--count"}, absentValue = "20") int count,
            @Descriptor("also show the vendor fault record / event bytes")
            @Parameter(names = {"-v", "--verbose"}, presentValue = "true", absentValue = "false")
            boolean verbose) {
        DriverRegistry r = registry();
        List<FaultRow> rows = new ArrayList<>();
        for (IommuUnit u : units(r, unit)) {
            for (FaultEvent e : r.faults().recent(u.name(), count)) {
                rows.add(new FaultRow(e, verbose));
            }
        }
        return rows;
    }

    @Descriptor("show the IOTLB, walk-cache and configuration-cache statistics; with --flush, first "
            + "invalidate a scope: a unit, a domain of it (-d), an address space of that domain (-d -p)")
    public List<CacheStatistics> iotlb(
            @Descriptor("invalidate before showing the statistics")
            @Parameter(names = {"-f", "--flush"}, presentValue = "true", absentValue = "false") boolean flush,
            @Descriptor("the unit to flush; every unit when omitted")
            @Parameter(names = {"-u", "--unit"}, absentValue = "") String unit,
            @Descriptor("the domain tag (VT-d DID, SMMU VMID) to flush")
            @Parameter(names = {"-d", "--domain"}, absentValue = "-1") int domain,
            @Descriptor("the address-space tag (PASID, ASID) within the domain to flush")
            @Parameter(names = {"-p", "--pasid"}, absentValue = "-2") int pasid) {
        DriverRegistry r = registry();
        TranslationEngine engine = r.engine();
        if (flush) {
            if (pasid != -2 && domain < 0) {
                throw IommuException.of(Errno.EINVAL, "--pasid %d needs --domain", pasid);
            }
            if (unit.isEmpty() && domain >= 0) {
                throw IommuException.of(Errno.EINVAL, "--domain %d needs --unit", domain);
            }
            for (IommuUnit u : units(r, unit)) {
                engine.invalidate(domain < 0 ? new InvalidationScope.Unit(u.index())
                        : pasid == -2 ? new InvalidationScope.Domain(u.index(), domain)
                        : new InvalidationScope.AddressSpace(u.index(), domain, pasid));
            }
        }
        return engine.caches().statistics();
    }

    @Descriptor("show, or switch, strict mode: every IOTLB hit is re-walked and a stale translation "
            + "(a missing invalidation) is reported")
    public StrictModeStatus strict(
            @Descriptor("on or off; shows the current mode when omitted")
            @Parameter(names = {"-s", "--set"}, absentValue = "") String mode) {
        TranslationEngine engine = registry().engine();
        if (!mode.isEmpty()) {
            if (!mode.equals("on") && !mode.equals("off")) {
                throw IommuException.of(Errno.EINVAL, "strict mode '%s' is neither on nor off", mode);
            }
            engine.setStrict(mode.equals("on"));
        }
        return new StrictModeStatus(engine.isStrict(), engine.caches().iotlb().staleTranslationCount(),
                engine.caches().iotlb().recentStaleTranslations());
    }

    @Descriptor("translate one request of a device for debugging: the configuration decoded from memory, "
            + "every descriptor of both stages, the result, and what the IOTLB holds for it")
    public TranslationTrace translate(
            @Descriptor("the PASID of the request; none when omitted")
            @Parameter(names = {"-p", "--pasid"}, absentValue = "-1") int pasid,
            @Descriptor("the access: any of r (read), w (write), x (execute), p (privileged)")
            @Parameter(names = {"-a", "--access"}, absentValue = "r") String access,
            @Descriptor("the device name, for example 0000:00:02.0") String device,
            @Descriptor("the input address (IOVA), decimal or 0x-prefixed hex") String iova) {
        DriverRegistry r = registry();
        DeviceInfo d = r.topology().device(device).orElseThrow(
                () -> IommuException.of(Errno.ENOENT, "no device named '%s'", device));
        IommuUnit u = r.unitOf(d);
        return r.engine().trace(u.index(), d.sourceId(), pasid, parseAddress(iova), parseAccess(access));
    }

    @Descriptor("swap a driver while the platform runs: update a driver bundle (id or symbolic name) from "
            + "a file or URL, or switch a unit to another registered driver version ('-' returns it to the "
            + "best-ranked one); reports the pause it caused")
    public SwapReport swap(
            @Descriptor("a driver bundle (id or symbolic name), or a unit name") String target,
            @Descriptor("for a bundle, the new bundle's file or URL; for a unit, the driver version") String source)
            throws Exception {
        DriverRegistry r = registry();
        if (r.runtimeUnit(target).isPresent()) {
            return switchUnit(r, target, source.equals("-") ? "" : source);
        }
        return updateBundle(r, target, source);
    }

    private SwapReport switchUnit(DriverRegistry r, String unit, String version) {
        String from = platform.unit(unit).orElseThrow().driverVersion();
        long pause = r.pin(unit, version);
        String to = platform.unit(unit).orElseThrow().driverVersion();
        return new SwapReport(unit, from, to, List.of(unit), pause);
    }

    private SwapReport updateBundle(DriverRegistry r, String target, String source) throws Exception {
        if (context == null) {
            throw IommuException.of(Errno.EOPNOTSUPP, "bundle updates need the OSGi framework");
        }
        Bundle bundle = findBundle(target);
        List<String> units = new ArrayList<>();
        String from = "";
        for (DriverStatus d : r.drivers()) {
            if (d.bundleId() == bundle.getBundleId()) {
                units.addAll(d.units());
                from = d.version();
            }
        }
        if (from.isEmpty()) {
            throw IommuException.of(Errno.EINVAL, "bundle %d (%s) registers no IOMMU driver", bundle.getBundleId(),
                    bundle.getSymbolicName());
        }
        long start = System.nanoTime();
        try (InputStream in = open(source)) {
            bundle.update(in);
        }
        // The units are ACTIVE again once the new version's component registered its driver.
        long deadline = start + Math.max(r.driverWaitMillis(), 1000) * 1_000_000L;
        while (units.stream().anyMatch(u -> platform.unit(u).orElseThrow().state() != UnitState.ACTIVE)) {
            if (System.nanoTime() > deadline) {
                throw IommuException.of(Errno.ETIMEDOUT, "units %s are still without a driver after updating bundle %d",
                        units, bundle.getBundleId());
            }
            Thread.sleep(1);
        }
        long pause = System.nanoTime() - start;
        String to = units.isEmpty() ? bundle.getVersion().toString()
                : platform.unit(units.get(0)).orElseThrow().driverVersion();
        return new SwapReport("bundle " + bundle.getBundleId() + " " + bundle.getSymbolicName(), from, to, units,
                pause);
    }

    private Bundle findBundle(String target) {
        for (Bundle b : context.getBundles()) {
            if (target.equals(b.getSymbolicName()) || target.equals(Long.toString(b.getBundleId()))) {
                return b;
            }
        }
        throw IommuException.of(Errno.ENOENT, "no bundle or unit named '%s'", target);
    }

    private static InputStream open(String source) throws IOException {
        if (source.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") && !source.matches("^[a-zA-Z]:\\\\.*")) {
            return URI.create(source).toURL().openStream();
        }
        Path p = Path.of(source);
        if (!Files.isRegularFile(p)) {
            throw IommuException.of(Errno.ENOENT, "no bundle file '%s'", source);
        }
        return Files.newInputStream(p);
    }

    static long parseAddress(String text) {
        try {
            return text.startsWith("0x") || text.startsWith("0X") ? Long.parseUnsignedLong(text.substring(2), 16)
                    : Long.parseUnsignedLong(text);
        } catch (NumberFormatException e) {
            throw IommuException.of(Errno.EINVAL, "'%s' is not an address", text);
        }
    }

    static int parseAccess(String text) {
        int bits = 0;
        for (char c : text.toCharArray()) {
            switch (c) {
                case 'r': bits |= Access.READ; break;
                case 'w': bits |= Access.WRITE; break;
                case 'x': bits |= Access.EXEC; break;
                case 'p': bits |= Access.PRIV; break;
                default: throw IommuException.of(Errno.EINVAL, "access '%s': '%c' is none of r, w, x, p", text, c);
            }
        }
        if ((bits & (Access.READ | Access.WRITE | Access.EXEC)) == 0) {
            throw IommuException.of(Errno.EINVAL, "access '%s' neither reads, writes nor executes", text);
        }
        return bits;
    }

    private static List<IommuUnit> units(DriverRegistry r, String name) {
        if (name.isEmpty()) {
            return r.runtimeUnits();
        }
        return List.of(r.runtimeUnit(name).orElseThrow(
                () -> IommuException.of(Errno.ENOENT, "no unit named '%s'", name)));
    }
}
