package io.nestor.core.shell;

import io.nestor.api.platform.DriverStatus;

/** One driver service as the shell prints it. */
public final class DriverRow {
    private final DriverStatus driver;

    DriverRow(DriverStatus driver) {
        this.driver = driver;
    }

    public DriverStatus driver() {
        return driver;
    }

    @Override
    public String toString() {
        return String.format("%-11s %s %s (bundle %d, service %d, ranking %d) units %s", driver.kind(),
                driver.bundleSymbolicName(), driver.version(), driver.bundleId(), driver.serviceId(),
                driver.ranking(), driver.units().isEmpty() ? "-" : String.join(",", driver.units()));
    }
}
