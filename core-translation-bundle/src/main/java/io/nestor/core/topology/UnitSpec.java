package io.nestor.core.topology;

import io.nestor.api.driver.UnitFeatures;
import java.util.Objects;

/**
 * One IOMMU unit as the topology declares it: its name, the driver kind it needs and its features.
 */
public record UnitSpec(String name, String kind, UnitFeatures features) {
    public UnitSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(features, "features");
    }
}
