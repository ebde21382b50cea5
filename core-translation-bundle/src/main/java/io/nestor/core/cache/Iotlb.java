package io.nestor.core.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The IOTLB: final translations (input page to output page, page size, permissions) tagged by unit,
 * domain tag (VT-d DID, SMMU VMID), address-space tag (PASID, ASID, or -1), {@link IotlbKind} and
 * page. Entries are numbers only, so the IOTLB survives a driver swap.
 *
 * <p><b>Hit path.</b> {@link #lookup(long, long, Object)} takes no lock and allocates nothing: it reads the
 * {@link PageSizeHints} mask of the tags and probes the {@link SeqlockSetTable} once per page size
 * that may be present (once for a 4 KiB-only domain), returning the entry packed in a {@code long}
 * ({@link IotlbEntry}). Hits are counted in a {@link StripedCounter}, misses in a
 * {@link LongAdder}. Strict mode costs one volatile read of a flag while off.
 *
 * <p><b>Fills and invalidations race-free.</b> A walk that read a descriptor before an invalidation
 * must not install its result after it. So the walker takes a {@link #fillToken()} before it
 * reads memory, and {@link #fill} admits the entry only if no invalidation started since: every
 * invalidation first bumps the generation (volatile), then removes entries set by set, each under
 * the set's seqlock; the fill checks the generation while owning its set. Either the fill sees the
 * bump and is dropped, or it completed in a set the invalidation then visits. A direct-probe
 * invalidation (page ranges of one address space) visits only the sets of the sizes in the hint
 * mask; the fill sets its size bit (volatile) before it checks the generation, so the mask read
 * after the bump includes it.
 *
 * <p><b>Key.</b> High word: {@link CacheTags} in bits 0..52, the kind in 53..54, the page shift in
 * 55..60, bit 63 live. Low word: the page number, {@code iova >>> shift}.
 *
 * <p><b>Stage-2 invalidation of nested entries.</b> A combined stage-1+2 entry is keyed by its
 * IOVA and does not record the IPA pages it was built from, so {@link InvalidationScope.Stage2Range}
 * drops every stage-1-derived entry of the domain tag (legal over-invalidation, and what VT-d
 * requires of a DID-based invalidation anyway). Invalidations scan the whole table except page
 * ranges of one address space, which probe directly.
 */
public final class Iotlb {
    private static final int KIND_SHIFT = CacheTags.OWN_SHIFT;
    private static final int PAGE_SHIFT_SHIFT = KIND_SHIFT + 2;
    /** The bits of a tag word besides the live bit: the shared tags and the kind. */
    private static final long TAG_FIELDS = CacheTags.TAGS_MASK | 3L << KIND_SHIFT;
    private static final VarHandle GENERATION;

    static {
        try {
            GENERATION = MethodHandles.lookup().findVarHandle(Iotlb.class, "generation", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SeqlockSetTable table;
    private final PageSizeHints sizes = new PageSizeHints();
    private final StripedCounter hits = new StripedCounter();
    private final LongAdder misses = new LongAdder();
    private final LongAdder fills = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder invalidations = new LongAdder();
    private final LongAdder invalidatedEntries = new LongAdder();
    private final LongAdder rejectedFills = new LongAdder();
    private final StaleTranslationLog staleLog = new StaleTranslationLog();

    @SuppressWarnings("unused") // through GENERATION
    private volatile long generation;
    private volatile boolean strict;
    private volatile IotlbRevalidator revalidator;

    /** An IOTLB of at least {@code capacity} entries, in sets of {@value SeqlockSetTable#WAYS} ways. */
    public Iotlb(int capacity) {
        this.table = new SeqlockSetTable(capacity);
    }

    public int capacity() {
        return table.capacity();
    }

    // ---- hit path ------------------------------------------------------------------------------

    /**
     * The tag word of an address space: unit, domain tag, address-space tag and kind, validated and
     * packed once, so that the hit path ({@link #lookup(long, long, Object)}) neither checks nor
     * packs them. The translation path computes it when it decodes a configuration.
     *
     * @throws IllegalArgumentException if a tag is out of range
     */
    public static long tag(int unit, int domainTag, int addressSpaceTag, IotlbKind kind) {
        CacheTags.check(unit, domainTag, addressSpaceTag);
        return CacheTags.pack(unit, domainTag, addressSpaceTag) | (long) kind.code() << KIND_SHIFT;
    }

    /** {@link #lookup(long, long, Object)} with the tags given one by one and no walk context. */
    public long lookup(int unit, int domainTag, int addressSpaceTag, IotlbKind kind, long iova) {
        return lookup(tag(unit, domainTag, addressSpaceTag, kind), iova, null);
    }

    /** {@link #lookup(long, long, Object)} without a walk context. */
    public long lookup(long tag, long iova) {
        return lookup(tag, iova, null);
    }

    /**
     * The cached translation of {@code iova}, packed as {@link IotlbEntry}, or
     * {@link IotlbEntry#MISS}. The caller checks the permissions against the request.
     *
     * @param tag from {@link #tag(int, int, int, IotlbKind)}
     * @param walkContext handed to the strict-mode revalidator only (the caller's decoded
     *     configuration); never stored
     */
    public long lookup(long tag, long iova, Object walkContext) {
        if ((tag & ~TAG_FIELDS) != CacheTags.LIVE) {
            throw new IllegalArgumentException("not a tag word: 0x" + Long.toHexString(tag));
        }
        long present = sizes.get(tag);
        while (present != 0) {
            int shift = Long.numberOfTrailingZeros(present);
            long entry = table.get(tag | (long) shift << PAGE_SHIFT_SHIFT, iova >>> shift);
            if (entry != IotlbEntry.MISS) {
                hits.increment();
                if (strict) {
                    revalidate(entry, tag, iova, walkContext);
                }
                return entry;
            }
            present &= present - 1;
        }
        misses.increment();
        return IotlbEntry.MISS;
    }

    // ---- fills ---------------------------------------------------------------------------------

    /** Taken before a walk reads memory; see the class comment. */
    public long fillToken() {
        return (long) GENERATION.getVolatile(this);
    }

    /**
     * Caches a translation. Dropped (returning false) when an invalidation began after
     * {@code token} was taken.
     *
     * @param entry the walk's result packed with {@link IotlbEntry#pack}
     */
    public boolean fill(long token, int unit, int domainTag, int addressSpaceTag, IotlbKind kind, long iova, long entry) {
        CacheTags.check(unit, domainTag, addressSpaceTag);
        int shift = IotlbEntry.pageShift(entry);
        if (shift < IotlbEntry.MIN_PAGE_SHIFT) {
            throw new IllegalArgumentException("not a packed entry: 0x" + Long.toHexString(entry));
        }
        long keyHi = CacheTags.pack(unit, domainTag, addressSpaceTag) | (long) kind.code() << KIND_SHIFT
                | (long) shift << PAGE_SHIFT_SHIFT;
        sizes.add(keyHi, shift);
        int outcome = table.put(keyHi, iova >>> shift, entry, () -> (long) GENERATION.getVolatile(this) == token);
        if (outcome < 0) {
            rejectedFills.increment();
            return false;
        }
        fills.increment();
        if (outcome == SeqlockSetTable.PUT_EVICTED) {
            evictions.increment();
        }
        return true;
    }

    // ---- invalidation --------------------------------------------------------------------------

    /** Applies the scope; returns the number of entries removed. Configuration scopes remove none. */
    public int invalidate(InvalidationScope scope) {
        if (scope instanceof InvalidationScope.DeviceConfig || scope instanceof InvalidationScope.DomainConfig
                || scope instanceof InvalidationScope.UnitConfig) {
            return 0;
        }
        GENERATION.getAndAdd(this, 1L);
        int removed = remove(scope);
        invalidations.increment();
        invalidatedEntries.add(removed);
        return removed;
    }

    private int remove(InvalidationScope scope) {
        if (scope instanceof InvalidationScope.All) {
            return table.removeIf((hi, lo, v) -> true);
        }
        if (scope instanceof InvalidationScope.Unit) {
            int unit = ((InvalidationScope.Unit) scope).unit();
            return table.removeIf((hi, lo, v) -> CacheTags.unit(hi) == unit);
        }
        if (scope instanceof InvalidationScope.Domain) {
            InvalidationScope.Domain d = (InvalidationScope.Domain) scope;
            return table.removeIf((hi, lo, v) -> CacheTags.matches(hi, d.unit(), d.domainTag(), InvalidationScope.ANY));
        }
        if (scope instanceof InvalidationScope.AddressSpace) {
            InvalidationScope.AddressSpace a = (InvalidationScope.AddressSpace) scope;
            return table.removeIf((hi, lo, v) -> kindOf(hi).stage1Derived()
                    && CacheTags.matches(hi, a.unit(), a.domainTag(), a.addressSpaceTag()));
        }
        if (scope instanceof InvalidationScope.AddressSpaceRange) {
            return removeRange((InvalidationScope.AddressSpaceRange) scope);
        }
        InvalidationScope.Stage2Range s = (InvalidationScope.Stage2Range) scope;
        return table.removeIf((hi, lo, v) -> CacheTags.matches(hi, s.unit(), s.domainTag(), InvalidationScope.ANY)
                && (kindOf(hi).stage1Derived()
                        || kindOf(hi) == IotlbKind.STAGE2 && CacheTags.overlaps(lo, shiftOf(hi), s.address(), s.last())));
    }

    private int removeRange(InvalidationScope.AddressSpaceRange r) {
        if (r.addressSpaceTag() != InvalidationScope.ANY) {
            long tags = CacheTags.pack(r.unit(), r.domainTag(), r.addressSpaceTag());
            long present = sizes.getVolatile(tags);
            if (probes(present, r.address(), r.last()) <= table.sets()) {
                int removed = 0;
                for (long m = present; m != 0; m &= m - 1) {
                    int shift = Long.numberOfTrailingZeros(m);
                    long lastPage = r.last() >>> shift;
                    for (long page = r.address() >>> shift; ; page++) {
                        for (IotlbKind kind : STAGE1_KINDS) {
                            long hi = tags | (long) kind.code() << KIND_SHIFT | (long) shift << PAGE_SHIFT_SHIFT;
                            if (table.remove(hi, page)) {
                                removed++;
                            }
                        }
                        if (page == lastPage) {
                            break;
                        }
                    }
                }
                return removed;
            }
        }
        return table.removeIf((hi, lo, v) -> kindOf(hi).stage1Derived()
                && CacheTags.matches(hi, r.unit(), r.domainTag(), r.addressSpaceTag())
                && CacheTags.overlaps(lo, shiftOf(hi), r.address(), r.last()));
    }

    private static final IotlbKind[] STAGE1_KINDS = {IotlbKind.STAGE1, IotlbKind.NESTED};

    /** Direct probes a range needs over the sizes present, saturating at {@code Long.MAX_VALUE}. */
    private static long probes(long present, long first, long last) {
        long total = 0;
        for (long m = present; m != 0; m &= m - 1) {
            int shift = Long.numberOfTrailingZeros(m);
            long pages = (last >>> shift) - (first >>> shift) + 1;
            if (pages <= 0 || pages > (1L << 40)) {
                return Long.MAX_VALUE;
            }
            total += pages * STAGE1_KINDS.length;
        }
        return total;
    }

    private static IotlbKind kindOf(long keyHi) {
        return IotlbKind.ofCode((int) (keyHi >>> KIND_SHIFT) & 3);
    }

    private static int shiftOf(long keyHi) {
        return (int) (keyHi >>> PAGE_SHIFT_SHIFT) & 0x3F;
    }

    // ---- strict mode ---------------------------------------------------------------------------

    /**
     * Strict mode (off by default): every hit is re-walked by the {@link #revalidator(IotlbRevalidator)
     * revalidator}, and a hit that differs from the fresh walk is reported as a
     * {@link StaleTranslation}. The hit still returns the cached entry, as hardware would: strict
     * mode diagnoses missing invalidations, it does not hide them.
     */
    public void setStrict(boolean on) {
        this.strict = on;
    }

    public boolean isStrict() {
        return strict;
    }

    public void revalidator(IotlbRevalidator revalidator) {
        this.revalidator = revalidator;
    }

    /** Receives each stale-translation diagnostic as it is found; {@code null} for none. */
    public void staleTranslationListener(Consumer<StaleTranslation> listener) {
        staleLog.listener(listener);
    }

    public long staleTranslationCount() {
        return staleLog.count();
    }

    /** The most recent diagnostics, oldest first (at most {@value StaleTranslationLog#KEPT}). */
    public List<StaleTranslation> recentStaleTranslations() {
        return staleLog.recent();
    }

    private void revalidate(long cached, long tag, long iova, Object walkContext) {
        IotlbRevalidator r = revalidator;
        if (r == null) {
            return;
        }
        int unit = CacheTags.unit(tag);
        int domainTag = CacheTags.domainTag(tag);
        int addressSpaceTag = CacheTags.addressSpaceTag(tag);
        IotlbKind kind = kindOf(tag);
        long fresh = r.retranslate(unit, domainTag, addressSpaceTag, kind, iova, walkContext);
        if (fresh != cached) {
            staleLog.report(new StaleTranslation(unit, domainTag, addressSpaceTag, kind, iova, cached, fresh));
        }
    }

    // ---- statistics ----------------------------------------------------------------------------

    public CacheStatistics statistics() {
        return new CacheStatistics("iotlb", table.capacity(), table.size(), hits.sum(), misses.sum(), fills.sum(),
                evictions.sum(), invalidations.sum(), invalidatedEntries.sum(), rejectedFills.sum());
    }
}
