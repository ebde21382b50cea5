package io.nestor.driver.smmuv3;

import io.nestor.testkit.FeaturesBuilder;

/** Test fixture: unit features starting from a typical nesting-capable SMMUv3. */
public final class Features extends FeaturesBuilder {

    public static Features typical() {
        return new Features();
    }
}
