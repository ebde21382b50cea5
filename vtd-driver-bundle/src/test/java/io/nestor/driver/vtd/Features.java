package io.nestor.driver.vtd;

import io.nestor.api.driver.UnitFeatures;

/** Test fixture: a builder of {@link UnitFeatures} starting from a typical scalable-mode unit. */
public final class Features {
    public boolean nesting = true;
    public int pasidBits = 20;
    public int inputAddressBits = 48;
    public int outputAddressBits = 46;
    public long pageSizes = UnitFeatures.SIZE_4K | UnitFeatures.SIZE_2M | UnitFeatures.SIZE_1G;
    public boolean fiveLevelStage1 = false;
    public boolean pageRequests = true;
    public boolean deviceTlb = true;
    public boolean dirtyTracking = true;
    public boolean stall = false;
    public int domainIdBits = 16;
    public int streamIdBits = 16;
    public boolean cachingMode = false;
    public boolean hardwareMsiRegion = false;

    public static Features typical() {
        return new Features();
    }

    public UnitFeatures build() {
        return new UnitFeatures(nesting, pasidBits, inputAddressBits, outputAddressBits, pageSizes,
                fiveLevelStage1, pageRequests, deviceTlb, dirtyTracking, stall, domainIdBits, streamIdBits,
                cachingMode, hardwareMsiRegion);
    }
}
