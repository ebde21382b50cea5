package io.nestor.core.cache;

import io.nestor.api.translation.InvalidationScope;

/**
 * The tag fields every cache key shares, their ranges and their place in a packed 64-bit key word.
 *
 * <p>Layout of the shared low 53 bits of a key's high word:
 * <pre>
 *   bits  0..20  address-space tag + 1   (PASID is 20 bits, SMMU ASID 16; -1 "untagged" packs as 0)
 *   bits 21..36  domain tag              (VT-d DID is at most 16 bits, SMMU VMID 16 bits)
 *   bits 37..52  unit                    (the topology's dense unit index)
 * </pre>
 * Bits 53..62 belong to the cache that uses the word; bit 63 is always set in a live key, so that
 * an empty slot (all zero) can never match one.
 */
final class CacheTags {
    static final int MAX_UNIT = InvalidationScope.MAX_UNIT;
    static final int MAX_DOMAIN_TAG = InvalidationScope.MAX_DOMAIN_TAG;
    static final int MAX_ADDRESS_SPACE_TAG = InvalidationScope.MAX_ADDRESS_SPACE_TAG;
    static final int UNTAGGED = InvalidationScope.UNTAGGED;

    static final long LIVE = 1L << 63;
    static final int DOMAIN_SHIFT = 21;
    static final int UNIT_SHIFT = 37;
    /** First bit a cache may use for its own fields. */
    static final int OWN_SHIFT = 53;
    static final long TAGS_MASK = (1L << OWN_SHIFT) - 1;

    private CacheTags() {
    }

    /** Packs the three tags, with the live bit; arguments must be valid. */
    static long pack(int unit, int domainTag, int addressSpaceTag) {
        return LIVE | (long) unit << UNIT_SHIFT | (long) domainTag << DOMAIN_SHIFT | (addressSpaceTag + 1L);
    }

    static int unit(long word) {
        return (int) (word >>> UNIT_SHIFT) & MAX_UNIT;
    }

    static int domainTag(long word) {
        return (int) (word >>> DOMAIN_SHIFT) & MAX_DOMAIN_TAG;
    }

    static int addressSpaceTag(long word) {
        return (int) (word & ((1L << DOMAIN_SHIFT) - 1)) - 1;
    }

    static void checkUnit(int unit) {
        if (unit < 0 || unit > MAX_UNIT) {
            throw new IllegalArgumentException("unit index " + unit + " outside 0.." + MAX_UNIT);
        }
    }

    static void check(int unit, int domainTag, int addressSpaceTag) {
        checkUnit(unit);
        if (domainTag < 0 || domainTag > MAX_DOMAIN_TAG) {
            throw new IllegalArgumentException("domain tag " + domainTag + " outside 0.." + MAX_DOMAIN_TAG);
        }
        if (addressSpaceTag < UNTAGGED || addressSpaceTag > MAX_ADDRESS_SPACE_TAG) {
            throw new IllegalArgumentException("address-space tag " + addressSpaceTag + " outside -1.."
                    + MAX_ADDRESS_SPACE_TAG);
        }
    }

    /**
     * Whether the scope names decoded configurations only (context / PASID entries, STE / CD), which
     * leave the IOTLB and the walk caches as they are.
     */
    static boolean configurationOnly(InvalidationScope scope) {
        return scope instanceof InvalidationScope.DeviceConfig || scope instanceof InvalidationScope.DomainConfig
                || scope instanceof InvalidationScope.UnitConfig;
    }

    /** Whether the packed tags match; {@code addressSpaceTag} may be {@link InvalidationScope#ANY}. */
    static boolean matches(long word, int unit, int domainTag, int addressSpaceTag) {
        return unit(word) == unit && domainTag(word) == domainTag
                && (addressSpaceTag == InvalidationScope.ANY || addressSpaceTag(word) == addressSpaceTag);
    }

    /**
     * Whether the input range {@code [page << shift, ((page + 1) << shift) - 1]} overlaps
     * {@code [first, last]}, all unsigned.
     */
    static boolean overlaps(long page, int shift, long first, long last) {
        long start = page << shift;
        long end = start + ((1L << shift) - 1);
        return Long.compareUnsigned(start, last) <= 0 && Long.compareUnsigned(end, first) >= 0;
    }
}
