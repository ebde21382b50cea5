package io.nestor.core.cache;

import io.nestor.api.pagetable.Permission;

/**
 * The packed {@code long} a walk-cache lookup returns:
 * <pre>
 *   bit   0      1 in a live entry (so 0 is {@link #MISS})
 *   bits  1..3   the level of the cached table (counted from the leaf, as in
 *                {@link io.nestor.api.pagetable.PageTableFormat})
 *   bits  4..9   {@link Permission} bits accumulated from the root down to the descriptor that
 *                points at the table
 *   bits 12..63  the table's (host physical) address, 4 KiB aligned as every next-level table is
 * </pre>
 */
public final class WalkCacheEntry {
    public static final long MISS = 0;
    /** The deepest level a format may have (levels count from 0). */
    public static final int MAX_LEVEL = 7;

    private WalkCacheEntry() {
    }

    public static long pack(long tableAddress, int level, int permissions) {
        if ((tableAddress & 0xFFF) != 0) {
            throw new IllegalArgumentException("table address 0x" + Long.toHexString(tableAddress)
                    + " is not 4 KiB aligned");
        }
        if (level < 0 || level > MAX_LEVEL) {
            throw new IllegalArgumentException("level " + level + " outside 0.." + MAX_LEVEL);
        }
        if ((permissions & ~Permission.ALL) != 0) {
            throw new IllegalArgumentException("permission bits 0x" + Integer.toHexString(permissions));
        }
        return tableAddress | (long) permissions << 4 | (long) level << 1 | 1;
    }

    public static boolean isHit(long entry) {
        return entry != MISS;
    }

    public static long tableAddress(long entry) {
        return entry & ~0xFFFL;
    }

    public static int level(long entry) {
        return (int) (entry >>> 1) & 7;
    }

    public static int permissions(long entry) {
        return (int) (entry >>> 4) & 0x3F;
    }

    public static String toString(long entry) {
        return entry == MISS ? "miss" : String.format("level %d table at 0x%x (%s)", level(entry),
                tableAddress(entry), Permission.toString(permissions(entry)));
    }
}
