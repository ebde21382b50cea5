package io.nestor.core.cache;

import io.nestor.api.translation.InvalidationScope;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The IOTLB: final translations (input page to output page, page size, permissions) tagged by unit,
 * domain tag (VT-d DID, SMMU VMID), address-space tag (PASID, ASID, or -1), {@link IotlbKind} and
 * page. Entries are numbers only, so the IOTLB survives a driver swap.
 *
 * <p><b>Tag handles and keys.</b> As hardware does, the tag tuple is resolved once per
 * configuration into an {@link IotlbHandle} ({@link #handle}); while the handle has entries it holds
 * a small index (1..2^18-1, {@link TagHandles}). A key is one {@code long}: the index in bits
 * 46..63 and the page below, encoded with its size as {@code page << (shift - 11)} followed by
 * {@code shift - 12} one bits ({@link #pageKey}): 46 bits for input addresses below
 * 2^{@value #MAX_INPUT_BITS} (VT-d 5-level paging is 57 bits, SMMUv3 VAs and IPAs at most 52).
 * Wider input addresses and page sizes above 2^57 are not cached (a fill answers false, a lookup
 * misses): always legal for a cache.
 *
 * <p><b>Hit path.</b> {@link #lookup(IotlbHandle, long, Object)} takes no lock and allocates
 * nothing: it reads the handle's index and page-size mask, probes the {@link SeqlockWordTable} once
 * per size present (once for a 4 KiB-only handle), then re-reads the index word: unchanged means the
 * index was the handle's for the whole probe, so the entry is the handle's (an index is reused only
 * after a sweep). Hits are counted in a {@link StripedCounter} ({@link CacheEventCounters}).
 * Strict mode costs one volatile read of a flag while off. The tag-word methods
 * ({@link #lookup(long, long, Object)}) find the handle first in a lock-free registry.
 *
 * <p><b>Fills and invalidations race-free.</b> A walk that read a descriptor before an invalidation
 * must not install its result after it. So the walker takes a {@link #fillToken()} before it
 * reads memory, and {@link #fill} admits the entry only if no invalidation started since: every
 * invalidation first retires the handles it covers whole, then bumps the generation (volatile),
 * then removes the entries of page ranges set by set, each under the set's seqlock; the fill reads
 * the handle's index after the token and checks the generation while owning its set. Either the
 * fill sees the bump and is dropped, or it completed in a set the invalidation (or the sweep that
 * precedes an index's reuse) then visits, or it read the token after the bump and so sees the
 * retirement and takes a fresh index. A direct-probe range invalidation visits only the sizes in the
 * handle's mask; the fill sets its size bit (volatile) before it checks the generation.
 *
 * <p><b>Invalidation cost.</b> Whole-tag scopes ({@link InvalidationScope.All}, {@code Unit},
 * {@code Domain}, {@code AddressSpace}) retire the covered handles: O(handles), independent of the
 * table size, exact. Page ranges of one address space probe directly, larger ones scan.
 *
 * <p><b>Stage-2 invalidation of nested entries.</b> A combined stage-1+2 entry is keyed by its
 * IOVA and does not record the IPA pages it was built from, so {@link InvalidationScope.Stage2Range}
 * drops every stage-1-derived entry of the domain tag (legal over-invalidation, and what VT-d
 * requires of a DID-based invalidation anyway).
 */
public final class Iotlb {
    private static final int KIND_SHIFT = CacheTags.OWN_SHIFT;
    /** The bits of a tag word besides the live bit: the shared tags and the kind. */
    private static final long TAG_FIELDS = CacheTags.TAGS_MASK | 3L << KIND_SHIFT;
    /** Input addresses below 2^57 are cached. */
    static final int MAX_INPUT_BITS = 57;
    /** Bits of a key below the handle index: a 4 KiB page number of a 57-bit address, plus one. */
    static final int PAGE_BITS = MAX_INPUT_BITS - IotlbEntry.MIN_PAGE_SHIFT + 1;
    private static final long SMALL_PAGES_ONLY = 1L << IotlbEntry.MIN_PAGE_SHIFT;
    private static final VarHandle GENERATION;
    private static final VarHandle SIZES;

    static {
        try {
            GENERATION = MethodHandles.lookup().findVarHandle(Iotlb.class, "generation", long.class);
            SIZES = MethodHandles.lookup().findVarHandle(IotlbHandle.class, "sizes", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SeqlockWordTable table;
    private final TagHandles handles;
    private final CacheEventCounters counters = new CacheEventCounters();
    /** {@link #counters}' hit counter, held here so that a hit loads one field, not two. */
    private final StripedCounter hits = counters.hitCounter();
    private final StaleTranslationLog staleLog = new StaleTranslationLog();

    @SuppressWarnings("unused") // through GENERATION
    private volatile long generation;
    private volatile boolean strict;
    private volatile IotlbRevalidator revalidator;

    /** An IOTLB of at least {@code capacity} entries, in sets of {@value SeqlockWordTable#WAYS} ways. */
    public Iotlb(int capacity) {
        this(capacity, Math.max(256, Math.min(1 << TagHandles.INDEX_BITS, Integer.highestOneBit(Math.max(capacity, 1)) * 2)));
    }

    /** With an explicit number of handle indices (1..indices-1 usable); for tests of reclamation. */
    Iotlb(int capacity, int indices) {
        this.table = new SeqlockWordTable(capacity);
        this.handles = new TagHandles(this, indices, () -> GENERATION.getAndAdd(this, 1L));
    }

    public int capacity() {
        return table.capacity();
    }

    SeqlockWordTable table() {
        return table;
    }

    TagHandles handles() {
        return handles;
    }

    // ---- hit path ------------------------------------------------------------------------------

    /**
     * The tag word of an address space: unit, domain tag, address-space tag and kind, validated and
     * packed once.
     *
     * @throws IllegalArgumentException if a tag is out of range
     */
    public static long tag(int unit, int domainTag, int addressSpaceTag, IotlbKind kind) {
        CacheTags.check(unit, domainTag, addressSpaceTag);
        return CacheTags.pack(unit, domainTag, addressSpaceTag) | (long) kind.code() << KIND_SHIFT;
    }

    /**
     * The handle of the tags, made on first use; the translation path keeps it in its configuration
     * entry. Every call with the same tags answers the same handle.
     *
     * @throws IllegalArgumentException if a tag is out of range
     */
    public IotlbHandle handle(int unit, int domainTag, int addressSpaceTag, IotlbKind kind) {
        return handles.findOrCreate(tag(unit, domainTag, addressSpaceTag, kind));
    }

    /** The handle of a tag word from {@link #tag}. */
    public IotlbHandle handle(long tag) {
        checkTagWord(tag);
        return handles.findOrCreate(tag);
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
     * The cached translation of {@code iova} under a tag word (the handle is found in a lock-free
     * registry first; {@link #lookup(IotlbHandle, long, Object)} skips that).
     *
     * @param tag from {@link #tag(int, int, int, IotlbKind)}
     */
    public long lookup(long tag, long iova, Object walkContext) {
        checkTagWord(tag);
        IotlbHandle h = handles.find(tag);
        if (h == null) {
            counters.miss();
            return IotlbEntry.MISS;
        }
        return lookup(h, iova, walkContext);
    }

    /** {@link #lookup(IotlbHandle, long, Object)} without a walk context. */
    public long lookup(IotlbHandle handle, long iova) {
        return lookup(handle, iova, null);
    }

    /**
     * The cached translation of {@code iova}, packed as {@link IotlbEntry}, or
     * {@link IotlbEntry#MISS}. The caller checks the permissions against the request.
     *
     * @param handle from {@link #handle} of this IOTLB
     * @param walkContext handed to the strict-mode revalidator only; never stored
     */
    public long lookup(IotlbHandle handle, long iova, Object walkContext) {
        if (handle.owner != this) {
            throw new IllegalArgumentException(handle + " belongs to another IOTLB");
        }
        long assignment = handle.assignment;
        long present = handle.sizes;
        long prefix = (assignment & TagHandles.INDEX_MASK) << PAGE_BITS;
        long found = IotlbEntry.MISS;
        if (iova >>> MAX_INPUT_BITS == 0) {
            if (present == SMALL_PAGES_ONLY) {
                found = table.get(prefix | (iova >>> (IotlbEntry.MIN_PAGE_SHIFT - 1) & ~1L));
            } else {
                for (; present != 0 && found == IotlbEntry.MISS; present &= present - 1) {
                    found = table.get(prefix | pageKey(iova, Long.numberOfTrailingZeros(present)));
                }
            }
        }
        // Same assignment before and after the probe: the index was this handle's throughout.
        if (found != IotlbEntry.MISS && handle.assignment == assignment) {
            hits.increment();
            if (strict) {
                revalidate(found, handle.tag, iova, walkContext);
            }
            return found;
        }
        counters.miss();
        return IotlbEntry.MISS;
    }

    /**
     * The low {@value #PAGE_BITS} bits of a key: the page number of {@code iova} at
     * {@code 2^shift}-byte pages, shifted left by {@code shift - 11}, below it a zero bit and
     * {@code shift - 12} one bits, so that the size is part of the key. {@code iova < 2^57},
     * {@code 12 <= shift <= 57}.
     */
    static long pageKey(long iova, int shift) {
        return (iova >>> shift) << (shift - 11) | ((1L << (shift - 12)) - 1);
    }

    static int shiftOfPageKey(long pageKey) {
        return IotlbEntry.MIN_PAGE_SHIFT + Long.numberOfTrailingZeros(~pageKey);
    }

    static long pageOfPageKey(long pageKey) {
        return (pageKey & ((1L << PAGE_BITS) - 1)) >>> (shiftOfPageKey(pageKey) - 11);
    }

    private static void checkTagWord(long tag) {
        if ((tag & ~TAG_FIELDS) != CacheTags.LIVE) {
            throw new IllegalArgumentException("not a tag word: 0x" + Long.toHexString(tag));
        }
    }

    // ---- fills ---------------------------------------------------------------------------------

    /** Taken before a walk reads memory; see the class comment. */
    public long fillToken() {
        return (long) GENERATION.getVolatile(this);
    }

    /**
     * Caches a translation. Dropped (returning false) when an invalidation began after
     * {@code token} was taken, or when the address or page is too wide to cache.
     *
     * @param entry the walk's result packed with {@link IotlbEntry#pack}
     */
    public boolean fill(long token, int unit, int domainTag, int addressSpaceTag, IotlbKind kind, long iova, long entry) {
        long tag = tag(unit, domainTag, addressSpaceTag, kind);
        checkEntry(entry);
        return fill(token, handles.findOrCreate(tag), iova, entry);
    }

    /** {@link #fill(long, int, int, int, IotlbKind, long, long)} for a handle of this IOTLB. */
    public boolean fill(long token, IotlbHandle handle, long iova, long entry) {
        if (handle.owner != this) {
            throw new IllegalArgumentException(handle + " belongs to another IOTLB");
        }
        int shift = checkEntry(entry);
        if (iova >>> MAX_INPUT_BITS != 0 || shift > MAX_INPUT_BITS) {
            counters.rejectedFill();
            return false;
        }
        // The size bit before the generation check, the index after the token: class comment.
        SIZES.getAndBitwiseOr(handle, 1L << shift);
        long assignment = handle.assignment;
        if ((assignment & TagHandles.INDEX_MASK) == 0) {
            if ((long) GENERATION.getVolatile(this) != token) {
                counters.rejectedFill(); // stale walk: take no index for it
                return false;
            }
            assignment = handles.assign(handle);
            if ((assignment & TagHandles.INDEX_MASK) == 0) {
                counters.rejectedFill();
                return false;
            }
        }
        long key = (assignment & TagHandles.INDEX_MASK) << PAGE_BITS | pageKey(iova, shift);
        int outcome = table.put(key, entry, () -> (long) GENERATION.getVolatile(this) == token,
                handles::isDead, handles::dropResident);
        if (outcome < 0) {
            counters.rejectedFill();
            return false;
        }
        counters.fill();
        if (outcome != SeqlockWordTable.PUT_REPLACED) {
            handles.addResident(key);
        }
        if (outcome == SeqlockWordTable.PUT_EVICTED) {
            counters.eviction();
        }
        return true;
    }

    private static int checkEntry(long entry) {
        int shift = IotlbEntry.pageShift(entry);
        if (shift < IotlbEntry.MIN_PAGE_SHIFT) {
            throw new IllegalArgumentException("not a packed entry: 0x" + Long.toHexString(entry));
        }
        return shift;
    }

    // ---- invalidation --------------------------------------------------------------------------

    /**
     * Applies the scope; returns the number of entries removed (exact when no fill races with it).
     * Configuration scopes remove none.
     */
    public int invalidate(InvalidationScope scope) {
        if (CacheTags.configurationOnly(scope)) {
            return 0;
        }
        int removed;
        synchronized (handles) {
            removed = apply(scope);
        }
        counters.invalidation(removed);
        return removed;
    }

    /** Under the handle lock: retire whole tags, bump the generation, then remove page ranges. */
    private int apply(InvalidationScope scope) {
        int removed = 0;
        if (scope instanceof InvalidationScope.All) {
            removed = retire(handles.matching(h -> true));
        } else if (scope instanceof InvalidationScope.Unit) {
            int unit = ((InvalidationScope.Unit) scope).unit();
            removed = retire(handles.matching(h -> CacheTags.unit(h.tag) == unit));
        } else if (scope instanceof InvalidationScope.Domain) {
            InvalidationScope.Domain d = (InvalidationScope.Domain) scope;
            removed = retire(handles.matching(h -> CacheTags.matches(h.tag, d.unit(), d.domainTag(), InvalidationScope.ANY)));
        } else if (scope instanceof InvalidationScope.AddressSpace) {
            InvalidationScope.AddressSpace a = (InvalidationScope.AddressSpace) scope;
            removed = retire(handles.matching(h -> kindOf(h.tag).stage1Derived()
                    && CacheTags.matches(h.tag, a.unit(), a.domainTag(), a.addressSpaceTag())));
        } else if (scope instanceof InvalidationScope.Stage2Range) {
            InvalidationScope.Stage2Range s = (InvalidationScope.Stage2Range) scope;
            removed = retire(handles.matching(h -> kindOf(h.tag).stage1Derived()
                    && CacheTags.matches(h.tag, s.unit(), s.domainTag(), InvalidationScope.ANY)));
        }
        GENERATION.getAndAdd(this, 1L);
        if (scope instanceof InvalidationScope.AddressSpaceRange) {
            InvalidationScope.AddressSpaceRange r = (InvalidationScope.AddressSpaceRange) scope;
            removed += removeRange(handles.matching(h -> kindOf(h.tag).stage1Derived()
                    && CacheTags.matches(h.tag, r.unit(), r.domainTag(), r.addressSpaceTag())), r.address(), r.last());
        } else if (scope instanceof InvalidationScope.Stage2Range) {
            InvalidationScope.Stage2Range s = (InvalidationScope.Stage2Range) scope;
            removed += removeRange(handles.matching(h -> kindOf(h.tag) == IotlbKind.STAGE2
                    && CacheTags.matches(h.tag, s.unit(), s.domainTag(), InvalidationScope.ANY)), s.address(), s.last());
        }
        return removed;
    }

    private int retire(List<IotlbHandle> covered) {
        int removed = 0;
        for (IotlbHandle h : covered) {
            removed += handles.retire(h);
        }
        return removed;
    }

    /** Removes the entries of the handles overlapping {@code [first, last]}: direct probes or a scan. */
    private int removeRange(List<IotlbHandle> covered, long first, long last) {
        long total = 0;
        for (IotlbHandle h : covered) {
            if ((h.assignment & TagHandles.INDEX_MASK) != 0) {
                total = saturatingAdd(total, probes((long) SIZES.getVolatile(h), first, last));
            }
        }
        int removed = 0;
        if (total <= table.sets()) {
            for (IotlbHandle h : covered) {
                long prefix = (h.assignment & TagHandles.INDEX_MASK) << PAGE_BITS;
                if (prefix == 0) {
                    continue;
                }
                for (long m = (long) SIZES.getVolatile(h); m != 0; m &= m - 1) {
                    int shift = Long.numberOfTrailingZeros(m);
                    if (shift > MAX_INPUT_BITS || Long.compareUnsigned(first, 1L << MAX_INPUT_BITS) >= 0) {
                        continue;
                    }
                    long lastPage = Long.compareUnsigned(last, 1L << MAX_INPUT_BITS) >= 0
                            ? ((1L << MAX_INPUT_BITS) - 1) >>> shift : last >>> shift;
                    for (long page = first >>> shift; page <= lastPage; page++) {
                        long key = prefix | pageKey(page << shift, shift);
                        if (table.remove(key)) {
                            handles.dropResident(key);
                            removed++;
                        }
                    }
                }
            }
            return removed;
        }
        Set<IotlbHandle> set = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (IotlbHandle h : covered) {
            if ((h.assignment & TagHandles.INDEX_MASK) != 0) {
                set.add(h);
            }
        }
        if (set.isEmpty()) {
            return 0;
        }
        return table.removeIf((key, value) -> {
            IotlbHandle owner = handles.owner(key);
            if (owner != null && set.contains(owner) && CacheTags.overlaps(pageOfPageKey(key),
                    shiftOfPageKey(key), first, last)) {
                handles.dropResident(key);
                return true;
            }
            return false;
        });
    }

    /** Direct probes a range needs over the sizes present, saturating at {@code Long.MAX_VALUE}. */
    private static long probes(long present, long first, long last) {
        long total = 0;
        for (long m = present; m != 0; m &= m - 1) {
            int shift = Long.numberOfTrailingZeros(m);
            long pages = (last >>> shift) - (first >>> shift) + 1;
            if (pages <= 0 || pages > (1L << 40)) {
                return Long.MAX_VALUE;
            }
            total = saturatingAdd(total, pages);
        }
        return total;
    }

    private static long saturatingAdd(long a, long b) {
        long s = a + b;
        return s < 0 ? Long.MAX_VALUE : s;
    }

    static IotlbKind kindOf(long tag) {
        return IotlbKind.ofCode((int) (tag >>> KIND_SHIFT) & 3);
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

    /** Entries counts the live ones: entries of retired handles not yet swept are left out. */
    public CacheStatistics statistics() {
        int entries = table.count(key -> !handles.isDead(key));
        return counters.statistics("iotlb", table.capacity(), entries);
    }
}
