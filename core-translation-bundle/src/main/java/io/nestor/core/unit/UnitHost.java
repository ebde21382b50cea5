package io.nestor.core.unit;

import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.StageConfig;
import io.nestor.core.memory.PageAllocator;

/**
 * What a unit borrows from the platform that owns it: the caches and walker (through the
 * translation engine), the page window for host-built structures, and the route by which page
 * responses reach devices. The platform implements it; an {@link IommuUnit} forwards its
 * {@link io.nestor.api.driver.UnitContext} calls here, so units stay plain state holders.
 */
public interface UnitHost {

    /** Applies a scope already checked to name the calling unit. */
    int invalidate(InvalidationScope scope);

    /** Walks stage 2 alone for a structure fetch. */
    long translateStage2(int unit, StageConfig stage2, int domainTag, long ipa, int access) throws FaultException;

    /** The counted window host drivers allocate their structures from. */
    PageAllocator structurePages();

    /** A page response the hardware delivered to the device {@code sourceId} behind {@code unit}. */
    void completePageRequest(IommuUnit unit, int sourceId, PageResponse response);
}
