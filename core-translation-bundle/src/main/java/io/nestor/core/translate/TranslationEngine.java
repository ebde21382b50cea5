package io.nestor.core.translate;

import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.Translation;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.cache.ConfigCache;
import io.nestor.core.cache.Iotlb;
import io.nestor.core.cache.IotlbEntry;
import io.nestor.core.cache.IotlbHandle;
import io.nestor.core.cache.IotlbKind;
import io.nestor.core.cache.TranslationCaches;
import io.nestor.core.cache.WalkCache;
import io.nestor.core.walk.TranslationWalker;
import io.nestor.core.walk.WalkResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The translation path of one platform (DESIGN.md): a DMA request from a device (unit, source id,
 * PASID) for an IOVA and an access is answered by
 * <ol>
 *   <li>the configuration cache, else the {@link ConfigDecoder} (the driver's
 *       {@code decodeConfig}); a {@link FaultException} or an ABORT configuration is a CONFIG fault;</li>
 *   <li>the IOTLB, tagged with the configuration's domain tag (VT-d DID, SMMU VMID),
 *       address-space tag (PASID / ASID or -1) and {@link IotlbKind} of its mode, through the
 *       {@link IotlbHandle} of those tags that the configuration cache entry carries (resolved once,
 *       when the configuration is decoded); a hit that grants what the access needs ends here, with
 *       no lock and no allocation;</li>
 *   <li>otherwise the walker, started at the deepest stage-1 and stage-2 tables the walk cache
 *       knows, and filling it on the way; a success fills the IOTLB, a failure is the result's
 *       {@link Fault}.</li>
 * </ol>
 * The configuration comes first because the IOTLB's tags are in it, as VT-d's context / PASID caches
 * supply the DID and PASID before the IOTLB is looked up.
 *
 * <p><b>Races.</b> Each cache's fill token is taken before the memory it summarises is read (the
 * configuration before decoding, the IOTLB and walk cache before walking), so a fill that raced with
 * an invalidation is dropped and the next request walks again.
 *
 * <p><b>Dirty state.</b> An IOTLB entry grants write only when the walk left nothing to mark dirty
 * ({@link WalkResult#writeMarked()}); so the first write to a clean page of a configuration with
 * hardware accessed / dirty flags misses the cached permission and walks, marking the page dirty.
 * A hit that does not grant the access is likewise walked again rather than faulted from the cache.
 *
 * <p><b>Strict mode</b> ({@link #setStrict(boolean)}): every IOTLB hit is re-walked from the roots
 * by a {@link FreshWalkRevalidator}, and a hit that differs is recorded as a
 * {@link io.nestor.core.cache.StaleTranslation} (the hit is still served, as hardware would).
 *
 * <p>Thread-safe: any number of threads translate at once, each with its own
 * {@link TranslationResult}. One engine per platform, owning its {@link TranslationCaches}.
 */
public final class TranslationEngine {
    private final TranslationWalker walker;
    private final TranslationCaches caches;
    private final Iotlb iotlb;
    private final WalkCache walkCache;
    private final ConfigCache configCache;
    private final ConfigDecoder decoder;
    private volatile boolean iotlbEnabled = true;
    private volatile boolean walkCacheEnabled = true;

    public TranslationEngine(PhysicalMemory memory, TranslationCaches caches, ConfigDecoder decoder) {
        this.walker = new TranslationWalker(Objects.requireNonNull(memory, "memory"));
        this.caches = Objects.requireNonNull(caches, "caches");
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.iotlb = caches.iotlb();
        this.walkCache = caches.walkCache();
        this.configCache = caches.configCache();
        iotlb.revalidator(new FreshWalkRevalidator(walker));
    }

    public TranslationCaches caches() {
        return caches;
    }

    /**
     * Translates one request.
     *
     * @param unit the unit's dense index in the topology
     * @param sourceId the requester (PCI RID, SMMU StreamID)
     * @param pasid the request's PASID / SubstreamID, or -1 for none
     * @param access {@link Access} bits
     * @param out filled with the translation or the fault
     * @return whether the request translated
     */
    public boolean translate(int unit, int sourceId, int pasid, long iova, int access, TranslationResult out) {
        out.start(access, iova);
        ConfigCache.Entry cached = configCache.lookupEntry(unit, sourceId, pasid);
        TranslationConfig config;
        IotlbHandle handle;
        if (cached != null) {
            config = cached.config();
            handle = cached.iotlbHandle();
        } else {
            long token = configCache.fillToken();
            try {
                config = decoder.decode(unit, sourceId, pasid);
            } catch (FaultException e) {
                return out.configFault(forRequest(e.fault(), access, iova));
            }
            if (config == null) {
                throw new IllegalStateException("configuration decoder answered null for unit " + unit
                        + ", source 0x" + Integer.toHexString(sourceId) + ", PASID " + pasid);
            }
            // The tags are resolved once per decoded configuration, as hardware resolves a DID /
            // PASID to a TLB tag; the handle outlives invalidations (they retire its index only).
            handle = config.mode() == TranslationMode.ABORT ? null
                    : iotlb.handle(unit, config.domainTag(), config.addressSpaceTag(), IotlbKind.of(config.mode()));
            configCache.fill(token, unit, sourceId, pasid, config, handle);
        }
        TranslationMode mode = config.mode();
        if (mode == TranslationMode.ABORT) {
            return out.configFault(Fault.config(0, access, iova));
        }
        int domainTag = config.domainTag();
        int addressSpaceTag = config.addressSpaceTag();
        boolean useIotlb = iotlbEnabled;
        if (useIotlb) {
            // An entry cached by another party without a handle: the lock-free tag lookup.
            long entry = handle != null ? iotlb.lookup(handle, iova, config)
                    : iotlb.lookup(Iotlb.tag(unit, domainTag, addressSpaceTag, IotlbKind.of(mode)), iova, config);
            if (entry != IotlbEntry.MISS) {
                int granted = IotlbEntry.permissions(entry);
                int need = Access.requiredPermissions(access);
                if ((granted & need) == need) {
                    return out.hit(IotlbEntry.outputAddress(entry, iova), IotlbEntry.pageShift(entry), granted);
                }
            }
        }
        long iotlbToken = iotlb.fillToken();
        WalkResult walk = out.walk;
        if (walkCacheEnabled) {
            out.shortcuts.prepare(walkCache, unit, domainTag, addressSpaceTag, walkCache.fillToken());
            walker.translate(config, iova, access, walk, out.shortcuts);
        } else {
            walker.translate(config, iova, access, walk, null);
        }
        if (!out.walked()) {
            return false;
        }
        if (useIotlb) {
            if (handle == null) {
                handle = iotlb.handle(unit, domainTag, addressSpaceTag, IotlbKind.of(mode));
            }
            iotlb.fill(iotlbToken, handle, iova, iotlbEntry(walk));
        }
        return true;
    }

    /** A successful walk packed as the IOTLB caches it (shared with strict mode's re-walk). */
    static long iotlbEntry(WalkResult walk) {
        int permissions = walk.writeMarked() ? walk.permissions() : walk.permissions() & ~Permission.WRITE;
        return IotlbEntry.pack(walk.outputAddress(), walk.pageShift(), permissions);
    }

    /** The driver's configuration fault, completed with the request it stopped. */
    private static Fault forRequest(Fault f, int access, long iova) {
        long address = f.stage() == FaultStage.CONFIG ? iova : f.faultAddress();
        return new Fault(f.stage(), f.reason(), f.level(), access, iova, address, f.onStage1TableFetch(),
                f.vendorReason());
    }

    /**
     * Walks stage 2 alone for a structure the hardware fetches from guest physical memory (an
     * SMMUv3 CD table behind a nested STE). Not cached: configuration fetches are rare and their
     * results live on in the configuration cache.
     *
     * @return the host physical address of {@code ipa}
     * @throws FaultException the stage-2 fault, its fault address {@code ipa}
     */
    public long translateStage2(StageConfig stage2, int domainTag, long ipa, int access) throws FaultException {
        TranslationConfig config = new TranslationConfig(TranslationMode.STAGE2, null, stage2, domainTag, -1);
        WalkResult walk = new WalkResult();
        if (!walker.translate(config, ipa, access, walk)) {
            throw new FaultException(walk.fault(access, ipa));
        }
        return walk.outputAddress();
    }

    /**
     * A debug translation for the shell: decodes the configuration afresh (not from the cache),
     * walks both stages from their roots recording every descriptor, and looks up what the IOTLB
     * holds for the same request. Changes no cache; the walk does set accessed / dirty flags as the
     * hardware would.
     */
    public TranslationTrace trace(int unit, int sourceId, int pasid, long iova, int access) {
        TranslationConfig config;
        try {
            config = decoder.decode(unit, sourceId, pasid);
        } catch (FaultException e) {
            return new TranslationTrace(access, iova, null, List.of(), null,
                    forRequest(e.fault(), access, iova), null);
        }
        List<WalkStep> steps = new ArrayList<>();
        WalkResult walk = new WalkResult();
        walk.trace((stage, fetch, level, input, descAddr, hpa, d) -> steps.add(new WalkStep(stage, fetch, level,
                input, descAddr, hpa, d, (stage == FaultStage.STAGE1 ? config.stage1() : config.stage2()).format()
                        .kind(d, level))));
        walker.translate(config, iova, access, walk);
        Translation cached = null;
        if (config.mode() != TranslationMode.ABORT) {
            long entry = iotlb.lookup(Iotlb.tag(unit, config.domainTag(), config.addressSpaceTag(),
                    IotlbKind.of(config.mode())), iova, config);
            if (entry != IotlbEntry.MISS) {
                cached = new Translation(IotlbEntry.outputAddress(entry, iova), IotlbEntry.pageShift(entry),
                        IotlbEntry.permissions(entry));
            }
        }
        return walk.faulted() ? new TranslationTrace(access, iova, config, steps, null, walk.fault(access, iova), cached)
                : new TranslationTrace(access, iova, config, steps, walk.translation(), null, cached);
    }

    /** Applies an invalidation to every cache; returns the entries removed. */
    public int invalidate(InvalidationScope scope) {
        return caches.invalidate(scope);
    }

    /** Strict mode on or off, at run time (see the class comment). */
    public void setStrict(boolean on) {
        iotlb.setStrict(on);
    }

    public boolean isStrict() {
        return iotlb.isStrict();
    }

    /**
     * Uses the IOTLB (default) or neither looks it up nor fills it, for diagnostics and to measure
     * the walk path.
     */
    public void setIotlbEnabled(boolean on) {
        this.iotlbEnabled = on;
    }

    /** Uses the walk caches (default) or walks every stage from its root. */
    public void setWalkCacheEnabled(boolean on) {
        this.walkCacheEnabled = on;
    }
}
