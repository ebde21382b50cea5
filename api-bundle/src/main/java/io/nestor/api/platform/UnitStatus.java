package io.nestor.api.platform;

import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.UnitFeatures;
import java.util.Objects;

/**
 * A snapshot of one unit.
 *
 * @param name the unit's name, for example {@code dmar0}
 * @param kind the driver kind it needs
 * @param state whether a driver is bound
 * @param driverVersion the bound driver bundle's version, or the empty string when none is bound
 * @param features the configured features
 * @param hwInfo the unit's hardware information (read from its registers, which outlive drivers),
 *     or {@code null} before any driver has reset the unit
 */
public record UnitStatus(String name, String kind, UnitState state, String driverVersion,
        UnitFeatures features, HwInfo hwInfo) {

    public UnitStatus {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(driverVersion, "driverVersion");
        Objects.requireNonNull(features, "features");
    }
}
