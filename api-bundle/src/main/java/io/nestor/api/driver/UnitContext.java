package io.nestor.api.driver;

import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.StageConfig;
import java.util.concurrent.locks.Lock;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What the core hands a driver on every call: one unit's identity, configured features and state.
 * The driver reads and writes the state through it and keeps none of it.
 *
 * <p>Besides registers and memory the core provides what the silicon and the kernel keep outside
 * the driver's code: the unit's caches (reached through {@link #invalidate}), a counted page
 * allocator for the structures the host driver builds, id spaces (DIDs, VMIDs), the lock that
 * serialises queue submission, a stage-2 translator for structure fetches in nested
 * configurations, and the device side of page-request responses.
 *
 * <p>Implemented by the core only (a provider type): methods may be added in minor versions.
 */
@ProviderType
public interface UnitContext {

    /** The unit's name in the topology, for example {@code dmar0}. */
    String name();

    /** The driver kind this unit needs. */
    String kind();

    /** The features the unit was configured with. */
    UnitFeatures features();

    /** The unit's register file (MMIO space), owned by the core. */
    RegisterFile registers();

    /** Host physical memory, where the unit's tables and queues live. */
    PhysicalMemory memory();

    /**
     * The unit's index: its number in cache tags, and the {@code unit} of every
     * {@link InvalidationScope} the driver builds for it.
     */
    int index();

    /**
     * Applies an invalidation to this unit's caches (IOTLB, walk caches, configuration cache): what
     * the hardware half does when it processes an invalidation descriptor or command.
     *
     * @return the number of cache entries removed (for statistics; over-invalidation is legal)
     * @throws io.nestor.api.error.IommuException EINVAL when the scope names another unit or is
     *     {@link InvalidationScope.All}
     */
    int invalidate(InvalidationScope scope);

    /**
     * Allocates {@code count} zeroed, physically contiguous 4 KiB pages of host memory, aligned to
     * their total size, for a structure the host driver owns (root, context and PASID tables;
     * stream and CD tables; queues). The core counts them, so a leak shows.
     *
     * @param count a power of two
     * @return the host physical address of the first page
     * @throws io.nestor.api.error.IommuException EINVAL for a count that is not a power of two,
     *     ENOMEM when the window is exhausted
     */
    long allocatePages(int count);

    /**
     * Frees pages from {@link #allocatePages}; {@code count} must be the count they were allocated
     * with.
     *
     * @throws io.nestor.api.error.IommuException EINVAL for pages that are not live
     */
    void freePages(long address, int count);

    /**
     * Allocates the lowest free id in {@code [min, max]} of one of the unit's id spaces, named by
     * the driver ({@code "did"}, {@code "vmid"}, {@code "asid"}): the kernel's per-unit IDAs, kept
     * here because the driver keeps no state.
     *
     * @throws io.nestor.api.error.IommuException ENOSPC when every id in the range is taken
     */
    int allocateId(String space, int min, int max);

    /**
     * Returns an id to its space.
     *
     * @throws io.nestor.api.error.IommuException EINVAL when the id is not allocated
     */
    void freeId(String space, int id);

    /**
     * The unit's register lock (reentrant), held across a sequence of register and queue accesses
     * that must not interleave with another caller's: submitting to and processing the VT-d
     * invalidation queue or the SMMUv3 command queue, command / status handshakes, fault-log
     * updates. The kernel's {@code iommu->register_lock} and command-queue lock play this part.
     * Never held on the translation hot path.
     */
    Lock registerLock();

    /**
     * Translates {@code ipa} through a stage-2 configuration of this unit, as the hardware does when
     * it fetches a stage-1 structure that lies in guest physical memory (the SMMUv3 CD table of a
     * nested STE). Uses and fills the unit's stage-2 caches for {@code domainTag}.
     *
     * @param access the {@link io.nestor.api.translation.Access} bits of the fetch (a read)
     * @return the host physical address
     * @throws FaultException a stage-2 fault, its fault address the IPA
     */
    long translateStage2(StageConfig stage2, int domainTag, long ipa, int access) throws FaultException;

    /**
     * Delivers the hardware's answer to a recoverable fault to the device that raised it: a PRI
     * page group response, or an SMMUv3 {@code CMD_RESUME} (retry or abort) for a stalled
     * transaction. The hardware half calls it when it processes the response descriptor / command.
     *
     * @param sourceId the requester (RID / StreamID) the response is routed to
     */
    void completePageRequest(int sourceId, PageResponse response);
}
