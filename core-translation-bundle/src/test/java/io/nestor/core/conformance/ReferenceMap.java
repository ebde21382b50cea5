package io.nestor.core.conformance;

import java.util.Map;
import java.util.TreeMap;

/**
 * The reference model of one address space for the randomized tests: non-overlapping mapped
 * intervals {@code [start, end)} with their output base and {@link io.nestor.api.pagetable.Permission}
 * bits, in a plain sorted map. Invariant: no two intervals overlap; adjacent ones are kept apart
 * (they may differ in output or permissions).
 */
public final class ReferenceMap {
    /** start -> {end, output address of start, permissions}. */
    private final TreeMap<Long, long[]> intervals = new TreeMap<>();

    public boolean isEmpty() {
        return intervals.isEmpty();
    }

    /** Number of intervals. */
    public int size() {
        return intervals.size();
    }

    /** Whether any byte of {@code [address, address + size)} is mapped. */
    public boolean overlaps(long address, long size) {
        Map.Entry<Long, long[]> below = intervals.floorEntry(address + size - 1);
        return below != null && below.getValue()[0] > address;
    }

    /** Records a mapping; the range must not overlap an existing one. */
    public void map(long address, long output, long size, int permissions) {
        if (overlaps(address, size)) {
            throw new IllegalStateException("model: 0x" + Long.toHexString(address) + " overlaps");
        }
        intervals.put(address, new long[] {address + size, output, permissions});
    }

    /** Removes {@code [address, address + size)}, splitting intervals; returns the bytes removed. */
    public long unmap(long address, long size) {
        long end = address + size;
        long removed = 0;
        Map.Entry<Long, long[]> e = intervals.lowerEntry(end);
        while (e != null && e.getValue()[0] > address) {
            long s = e.getKey();
            long[] v = e.getValue();
            intervals.remove(s);
            long lo = Math.max(s, address);
            long hi = Math.min(v[0], end);
            removed += hi - lo;
            if (s < lo) {
                intervals.put(s, new long[] {lo, v[1], v[2]});
            }
            if (hi < v[0]) {
                intervals.put(hi, new long[] {v[0], v[1] + (hi - s), v[2]});
            }
            e = intervals.lowerEntry(end);
        }
        return removed;
    }

    /** The output address of {@code address}, or -1 when it is not mapped. */
    public long output(long address) {
        Map.Entry<Long, long[]> e = intervals.floorEntry(address);
        if (e == null || address >= e.getValue()[0]) {
            return -1;
        }
        return e.getValue()[1] + (address - e.getKey());
    }

    /** The permissions {@code address} was mapped with; only meaningful when it is mapped. */
    public int permissions(long address) {
        return (int) intervals.floorEntry(address).getValue()[2];
    }

    /** The end of the {@code n}-th interval ({@code n} taken modulo their count), to probe both sides of it. */
    public long intervalEnd(int n) {
        int i = Math.floorMod(n, intervals.size());
        for (long[] v : intervals.values()) {
            if (i-- == 0) {
                return v[0];
            }
        }
        throw new IllegalStateException("empty model");
    }
}
