package io.nestor.core.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Which page sizes may be cached for an (unit, domain tag, address-space tag): a small direct-mapped
 * array of bit masks (bit {@code s} set means pages of size {@code 2^s} may be present).
 *
 * <p>A lookup does not know the page size of the entry it is looking for, so it probes once per
 * size set here: one probe for a domain mapped with 4 KiB pages only. Tags share a mask when they
 * hash alike, and bits are never cleared (clearing would race with a fill that set its bit
 * just before; the cost of a stale bit is one extra probe, and real domains use at most three
 * sizes); so a mask may claim sizes that are
 * absent (an extra probe), but never omits one that is present, provided the bit is set (with
 * {@link #add}, a volatile read-modify-write) before the entry is admitted.
 */
final class PageSizeHints {
    private static final int SLOTS = 1024;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private static final long SMALL_PAGES_ONLY = 1L << IotlbEntry.MIN_PAGE_SHIFT;
    private static final VarHandle UNION;

    static {
        try {
            UNION = MethodHandles.lookup().findVarHandle(PageSizeHints.class, "union", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long[] masks = new long[SLOTS];
    /** Every size ever added, for the common case of 4 KiB pages only (no slot hash then). */
    @SuppressWarnings("unused") // through UNION
    private long union;

    /** Mask for a lookup: plain reads, a stale value only costs a miss. */
    long get(long tags) {
        long all = union;
        return all == SMALL_PAGES_ONLY ? all : masks[slot(tags)];
    }

    /** Mask for an invalidation: volatile, ordered after the invalidation's generation bump. */
    long getVolatile(long tags) {
        return (long) LONGS.getVolatile(masks, slot(tags));
    }

    /**
     * Records the size, always as a volatile read-modify-write (even when the bit is already set):
     * with the invalidation's volatile generation bump it forms the Dekker pair that lets a
     * direct-probe invalidation rely on the mask (see {@link Iotlb}).
     */
    void add(long tags, int pageShift) {
        LONGS.getAndBitwiseOr(masks, slot(tags), 1L << pageShift);
        UNION.getAndBitwiseOr(this, 1L << pageShift);
    }

    private static int slot(long tags) {
        // Folds the address-space, domain and unit fields (bits 0..52) together; no multiply, since
        // this is on the hit path and colliding tags only share a mask.
        long own = tags & CacheTags.TAGS_MASK;
        int t = (int) own ^ (int) (own >>> 21) ^ (int) (own >>> 37);
        return (t ^ t >>> 10) & (SLOTS - 1);
    }
}
