package io.nestor.core.shell;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.platform.DriverStatus;
import io.nestor.api.platform.Platform;
import io.nestor.api.platform.UnitStatus;
import java.util.ArrayList;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
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
        "osgi.command.function=drivers"})
public final class NestorCommands {

    private final Platform platform;

    @org.osgi.service.component.annotations.Activate
    public NestorCommands(@Reference Platform platform) {
        this.platform = platform;
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

    @Descriptor("list the devices with their unit, source-id and PCI capabilities")
    public List<DeviceRow> devices(
            @Descriptor("only the devices behind this unit; all when omitted")
            @Parameter(names = {"-u", "--unit"}, absentValue = "") String unit) {
        List<DeviceRow> rows = new ArrayList<>();
        for (DeviceInfo d : platform.devices()) {
            if (unit.isEmpty() || d.unit().equals(unit)) {
                rows.add(new DeviceRow(d));
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
}
