package io.nestor.driver.vtd;

import io.nestor.testkit.FeaturesBuilder;

/** Test fixture: unit features starting from a typical scalable-mode VT-d unit (46-bit host addresses). */
public final class Features extends FeaturesBuilder {

    public static Features typical() {
        Features f = new Features();
        f.outputAddressBits = 46;
        return f;
    }
}
