package io.nestor.api.platform;

import java.util.List;

/**
 * A registered {@link io.nestor.api.driver.IommuDriver} service.
 *
 * @param kind the kind it serves
 * @param bundleSymbolicName the providing bundle
 * @param bundleId the providing bundle's id
 * @param version the providing bundle's version
 * @param ranking the service ranking
 * @param serviceId the service id
 * @param units the units currently bound to it
 */
public record DriverStatus(String kind, String bundleSymbolicName, long bundleId, String version,
        int ranking, long serviceId, List<String> units) {

    public DriverStatus {
        units = List.copyOf(units);
    }
}
