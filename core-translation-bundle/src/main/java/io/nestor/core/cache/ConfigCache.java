package io.nestor.core.cache;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Predicate;

/**
 * The configuration cache (VT-d context and PASID caches, SMMU STE / CD caches): decoded
 * {@link TranslationConfig}s by (unit, device source id, PASID), so a request that misses the IOTLB
 * need not decode context / PASID entries or STE / CD again.
 *
 * <p>Unlike the IOTLB it holds driver objects (the configurations' page-table format instances),
 * so {@link InvalidationScope.UnitConfig} empties a unit when its driver leaves; nothing of an
 * old driver bundle stays reachable from here. An entry may also carry the {@link IotlbHandle} of
 * its configuration's IOTLB tags (resolved once, when the configuration is decoded), so a hit needs
 * no tag lookup; a handle holds no driver object.
 *
 * <p><b>Concurrency.</b> A fixed array of buckets, each an immutable chain of nodes; a lookup
 * reads a bucket (volatile) and walks the chain: no lock, no allocation. Every translation passes
 * here, IOTLB hits included, so hits are counted without an atomic add, as the IOTLB's are
 * ({@link CacheEventCounters}). Writers serialise on the cache and replace whole chains (copy on write). Fills
 * follow the same token discipline as the {@link Iotlb}: a configuration decoded before an
 * invalidation is not installed after it.
 *
 * <p><b>Bound.</b> At most {@code capacity} configurations; a fill into a full cache evicts the
 * head of the first non-empty bucket from a random start.
 */
public final class ConfigCache {
    /**
     * One cached configuration with the {@link IotlbHandle} its IOTLB tags resolve to (null when
     * filled without one, or for an ABORT configuration, which caches no translation). The handle
     * holds no driver object (only its IOTLB and tag word), so it adds nothing to what a unit's
     * invalidation must drop. Immutable.
     */
    public static final class Entry {
        final int unit;
        final int sourceId;
        final int pasid;
        final TranslationConfig config;
        final IotlbHandle iotlbHandle;
        final Entry next;

        Entry(int unit, int sourceId, int pasid, TranslationConfig config, IotlbHandle iotlbHandle, Entry next) {
            this.unit = unit;
            this.sourceId = sourceId;
            this.pasid = pasid;
            this.config = config;
            this.iotlbHandle = iotlbHandle;
            this.next = next;
        }

        public TranslationConfig config() {
            return config;
        }

        /** The handle of the configuration's IOTLB tags, or null (see the class comment). */
        public IotlbHandle iotlbHandle() {
            return iotlbHandle;
        }
    }

    private final AtomicReferenceArray<Entry> buckets;
    private final int mask;
    private final int capacity;
    private volatile long generation;
    /** Guarded by {@code this}. */
    private int size;

    private final CacheEventCounters counters = new CacheEventCounters();

    public ConfigCache(int capacity) {
        if (capacity < 1 || capacity > (1 << 24)) {
            throw new IllegalArgumentException("capacity " + capacity + " outside 1.." + (1 << 24));
        }
        this.capacity = capacity;
        int n = Integer.highestOneBit(capacity * 2 - 1) << 1;
        this.buckets = new AtomicReferenceArray<>(n);
        this.mask = n - 1;
    }

    public int capacity() {
        return capacity;
    }

    /** The cached configuration, or {@code null}. */
    public TranslationConfig lookup(int unit, int sourceId, int pasid) {
        Entry e = lookupEntry(unit, sourceId, pasid);
        return e == null ? null : e.config;
    }

    /** The cached entry (configuration and IOTLB handle), or {@code null}. No lock, no allocation. */
    public Entry lookupEntry(int unit, int sourceId, int pasid) {
        for (Entry n = buckets.get(bucket(unit, sourceId, pasid)); n != null; n = n.next) {
            if (n.sourceId == sourceId && n.pasid == pasid && n.unit == unit) {
                counters.hit();
                return n;
            }
        }
        counters.miss();
        return null;
    }

    /** Taken before the driver decodes the configuration; see {@link Iotlb}. */
    public long fillToken() {
        return generation;
    }

    /**
     * Caches a decoded configuration (replacing any for the same key). Dropped (false) if an
     * invalidation began after {@code token}.
     */
    public boolean fill(long token, int unit, int sourceId, int pasid, TranslationConfig config) {
        return fill(token, unit, sourceId, pasid, config, null);
    }

    /**
     * {@link #fill(long, int, int, int, TranslationConfig)} with the handle of the configuration's
     * IOTLB tags ({@link Iotlb#handle}), which must be those of {@code unit} and the configuration.
     */
    public boolean fill(long token, int unit, int sourceId, int pasid, TranslationConfig config,
            IotlbHandle iotlbHandle) {
        CacheTags.checkUnit(unit);
        if (sourceId < 0) {
            throw new IllegalArgumentException("negative source id " + sourceId);
        }
        if (pasid < DeviceInfo.NO_PASID || pasid > CacheTags.MAX_ADDRESS_SPACE_TAG) {
            throw new IllegalArgumentException("PASID " + pasid + " outside -1.." + CacheTags.MAX_ADDRESS_SPACE_TAG);
        }
        Objects.requireNonNull(config, "config");
        if (iotlbHandle != null && !handleMatches(iotlbHandle, unit, config)) {
            throw new IllegalArgumentException(iotlbHandle + " is not the handle of unit " + unit + " and " + config);
        }
        synchronized (this) {
            if (generation != token) {
                counters.rejectedFill();
                return false;
            }
            int b = bucket(unit, sourceId, pasid);
            Entry head = buckets.get(b);
            Entry without = removeFromChain(head, n -> n.unit == unit && n.sourceId == sourceId && n.pasid == pasid);
            boolean replaced = without != head;
            if (!replaced && size == capacity) {
                evictOne(b);
                head = buckets.get(b);
                without = removeFromChain(head, n -> n.unit == unit && n.sourceId == sourceId && n.pasid == pasid);
            }
            buckets.set(b, new Entry(unit, sourceId, pasid, config, iotlbHandle, without));
            if (!replaced) {
                size++;
            }
            counters.fill();
            return true;
        }
    }

    private static boolean handleMatches(IotlbHandle h, int unit, TranslationConfig config) {
        if (config.mode() == TranslationMode.ABORT) {
            return false;
        }
        return h.unit() == unit && h.domainTag() == config.domainTag()
                && h.addressSpaceTag() == config.addressSpaceTag() && h.kind() == IotlbKind.of(config.mode());
    }

    /** Applies the scope; returns the number of configurations removed. */
    public int invalidate(InvalidationScope scope) {
        Predicate<Entry> doomed = filter(scope);
        if (doomed == null) {
            return 0;
        }
        int removed = 0;
        synchronized (this) {
            generation++;
            for (int b = 0; b <= mask; b++) {
                Entry head = buckets.get(b);
                if (head == null) {
                    continue;
                }
                Entry kept = removeFromChain(head, doomed);
                if (kept != head) {
                    int gone = chainLength(head) - chainLength(kept);
                    buckets.set(b, kept);
                    removed += gone;
                }
            }
            size -= removed;
        }
        counters.invalidation(removed);
        return removed;
    }

    /** The removal predicate for a scope, or {@code null} if the scope does not concern configurations. */
    private static Predicate<Entry> filter(InvalidationScope scope) {
        if (scope instanceof InvalidationScope.All) {
            return n -> true;
        }
        if (scope instanceof InvalidationScope.Unit) {
            int unit = ((InvalidationScope.Unit) scope).unit();
            return n -> n.unit == unit;
        }
        if (scope instanceof InvalidationScope.UnitConfig) {
            int unit = ((InvalidationScope.UnitConfig) scope).unit();
            return n -> n.unit == unit;
        }
        if (scope instanceof InvalidationScope.DeviceConfig) {
            InvalidationScope.DeviceConfig d = (InvalidationScope.DeviceConfig) scope;
            return n -> n.unit == d.unit() && n.sourceId == d.sourceId()
                    && (d.pasid() == InvalidationScope.ANY || n.pasid == d.pasid());
        }
        if (scope instanceof InvalidationScope.DomainConfig) {
            InvalidationScope.DomainConfig d = (InvalidationScope.DomainConfig) scope;
            return n -> n.unit == d.unit() && n.config.domainTag() == d.domainTag()
                    && (d.pasid() == InvalidationScope.ANY || n.pasid == d.pasid());
        }
        return null;
    }

    /** The chain without the matching nodes; the same chain object when none match. */
    private static Entry removeFromChain(Entry head, Predicate<Entry> doomed) {
        if (head == null) {
            return null;
        }
        Entry rest = removeFromChain(head.next, doomed);
        if (doomed.test(head)) {
            return rest;
        }
        return rest == head.next ? head : new Entry(head.unit, head.sourceId, head.pasid, head.config, head.iotlbHandle, rest);
    }

    private static int chainLength(Entry n) {
        int length = 0;
        for (; n != null; n = n.next) {
            length++;
        }
        return length;
    }

    /** Called with the lock held and the cache full. */
    private void evictOne(int preferred) {
        int start = buckets.get(preferred) != null ? preferred : ThreadLocalRandom.current().nextInt(mask + 1);
        for (int i = 0; i <= mask; i++) {
            int b = (start + i) & mask;
            Entry head = buckets.get(b);
            if (head != null) {
                buckets.set(b, head.next);
                size--;
                counters.eviction();
                return;
            }
        }
    }

    private int bucket(int unit, int sourceId, int pasid) {
        long h = ((long) unit << 52 ^ (long) sourceId << 20 ^ (pasid + 1L)) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    public CacheStatistics statistics() {
        int entries;
        synchronized (this) {
            entries = size;
        }
        return counters.statistics("config", capacity, entries);
    }
}
