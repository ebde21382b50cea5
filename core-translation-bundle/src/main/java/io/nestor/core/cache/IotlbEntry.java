package io.nestor.core.cache;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Translation;

/**
 * The packed {@code long} an IOTLB lookup returns, so that the hit path allocates nothing:
 * <pre>
 *   bits  0..5   page shift (12..63; never 0 in a live entry, so 0 is {@link #MISS})
 *   bits  6..11  {@link Permission} bits
 *   bits 12..63  output page base (aligned to the page, so its low 12 bits are free)
 * </pre>
 */
public final class IotlbEntry {
    /** What a lookup returns when nothing is cached. */
    public static final long MISS = 0;
    /** The smallest page: one 4 KiB granule. */
    public static final int MIN_PAGE_SHIFT = 12;

    private IotlbEntry() {
    }

    /** Packs an entry; {@code outputAddress} may point anywhere inside the page. */
    public static long pack(long outputAddress, int pageShift, int permissions) {
        if (pageShift < MIN_PAGE_SHIFT || pageShift > 63) {
            throw new IllegalArgumentException("page shift " + pageShift + " outside " + MIN_PAGE_SHIFT + "..63");
        }
        if ((permissions & ~Permission.ALL) != 0) {
            throw new IllegalArgumentException("permission bits 0x" + Integer.toHexString(permissions));
        }
        return (outputAddress & -(1L << pageShift)) | (long) permissions << 6 | pageShift;
    }

    public static boolean isHit(long entry) {
        return entry != MISS;
    }

    public static int pageShift(long entry) {
        return (int) entry & 0x3F;
    }

    public static int permissions(long entry) {
        return (int) (entry >>> 6) & 0x3F;
    }

    public static long pageBase(long entry) {
        return entry & -(1L << pageShift(entry));
    }

    /** The output address of {@code iova} under this entry. */
    public static long outputAddress(long entry, long iova) {
        long pageMask = (1L << pageShift(entry)) - 1;
        return (entry & ~pageMask) | (iova & pageMask);
    }

    /** The API form of a hit, for callers off the hot path. */
    public static Translation toTranslation(long entry, long iova) {
        if (entry == MISS) {
            throw new IllegalArgumentException("not a hit");
        }
        return new Translation(outputAddress(entry, iova), pageShift(entry), permissions(entry));
    }

    public static String toString(long entry) {
        if (entry == MISS) {
            return "miss";
        }
        return String.format("0x%x (page 2^%d, %s)", pageBase(entry), pageShift(entry),
                Permission.toString(permissions(entry)));
    }
}
