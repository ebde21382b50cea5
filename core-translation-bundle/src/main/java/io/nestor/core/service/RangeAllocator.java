package io.nestor.core.service;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.Map;
import java.util.TreeMap;

/**
 * First-fit allocation of aligned, page-granular address ranges inside a fixed window: host physical
 * ranges for regions, or the session virtual addresses of one session.
 *
 * <p>Invariants: allocated ranges lie inside {@code [base, base + size)} and never overlap; a range
 * is aligned to the largest of 1 GiB, 2 MiB and 4 KiB that its length reaches, so that mappings of
 * it can use huge IOPTEs when IOVA, user address and host address are aligned alike. Thread-safe.
 */
final class RangeAllocator {
    private static final long PAGE = 1L << 12;
    private static final long HUGE_2M = 1L << 21;
    private static final long HUGE_1G = 1L << 30;

    private final String name;
    private final long base;
    private final long end;
    /** start to length of each allocated range. */
    private final TreeMap<Long, Long> allocated = new TreeMap<>();

    RangeAllocator(String name, long base, long size) {
        this.name = name;
        this.base = base;
        this.end = base + size;
    }

    static long alignmentFor(long length) {
        return length >= HUGE_1G ? HUGE_1G : length >= HUGE_2M ? HUGE_2M : PAGE;
    }

    /**
     * Allocates {@code length} bytes (a positive multiple of 4 KiB).
     *
     * @throws IommuException ENOMEM when no gap of the window holds it
     */
    synchronized long allocate(long length) {
        long align = alignmentFor(length);
        long cursor = base;
        for (Map.Entry<Long, Long> e : allocated.entrySet()) {
            long start = align(cursor, align);
            if (start + length <= e.getKey()) {
                allocated.put(start, length);
                return start;
            }
            cursor = Math.max(cursor, e.getKey() + e.getValue());
        }
        long start = align(cursor, align);
        if (start + length > end || start + length < start) {
            throw IommuException.of(Errno.ENOMEM, "no 0x%x bytes free in the %s window [0x%x, 0x%x)", length, name,
                    base, end);
        }
        allocated.put(start, length);
        return start;
    }

    synchronized void free(long start) {
        if (allocated.remove(start) == null) {
            throw new IllegalStateException(name + ": no range allocated at 0x" + Long.toHexString(start));
        }
    }

    private static long align(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
