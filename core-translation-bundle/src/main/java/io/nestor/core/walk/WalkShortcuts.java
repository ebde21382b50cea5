package io.nestor.core.walk;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.FaultStage;

/**
 * What a walk may consult and feed so that it need not start at the root: the paging-structure
 * caches of both stages, seen by the walker without knowing their tags (the implementation holds
 * the unit, domain and address-space tags of the request being walked).
 *
 * <p>A start is packed as {@link io.nestor.core.cache.WalkCacheEntry}: the table indexed at a level,
 * and the permissions granted by the descriptors above it. For stage 1 of a nested walk the table
 * address is host physical (already translated by stage 2), so the walker reads it directly.
 *
 * <p>Called on the hot path: implementations take no lock and allocate nothing.
 */
public interface WalkShortcuts {

    /**
     * The deepest table known on the walk of {@code input} in {@code stage}, packed as a
     * {@link io.nestor.core.cache.WalkCacheEntry}, or {@code 0} to start from the root.
     */
    long deepestTable(FaultStage stage, PageTableFormat format, long input);

    /**
     * The walk of {@code input} reached the table indexed at {@code level} (below the root) at
     * {@code tableAddress} (host physical), with {@code permissions} accumulated above it.
     */
    void tableReached(FaultStage stage, PageTableFormat format, long input, int level, long tableAddress,
            int permissions);
}
