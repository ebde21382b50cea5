package io.nestor.testkit;

import io.nestor.api.driver.UnitFeatures;

/**
 * Test fixture: a mutable builder of {@link UnitFeatures}, starting from a nesting-capable unit with
 * 20-bit PASIDs, 48-bit input and output, 4K / 2M / 1G pages, page requests, device TLB and dirty
 * tracking. Each driver bundle's {@code Features.typical()} adjusts it to its kind; a test changes
 * the fields it is about and calls {@link #build()}.
 */
public class FeaturesBuilder {
    public boolean nesting = true;
    public int pasidBits = 20;
    public int inputAddressBits = 48;
    public int outputAddressBits = 48;
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

    public UnitFeatures build() {
        return new UnitFeatures(nesting, pasidBits, inputAddressBits, outputAddressBits, pageSizes,
                fiveLevelStage1, pageRequests, deviceTlb, dirtyTracking, stall, domainIdBits, streamIdBits,
                cachingMode, hardwareMsiRegion);
    }
}
