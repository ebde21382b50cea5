package io.nestor.core.unit;

import io.nestor.api.driver.IommuDriver;
import java.util.Objects;

/**
 * A registered driver service together with what the core needs to rank it and report it: the
 * providing bundle's identity and version, and the service's ranking and id.
 */
public record DriverBinding(IommuDriver driver, String kind, String bundleSymbolicName, long bundleId,
        String version, int ranking, long serviceId) {

    public DriverBinding {
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(kind, "kind");
    }

    /** OSGi service order: higher ranking first, then the lower (older) service id. */
    public boolean outranks(DriverBinding other) {
        if (ranking != other.ranking) {
            return ranking > other.ranking;
        }
        return serviceId < other.serviceId;
    }
}
