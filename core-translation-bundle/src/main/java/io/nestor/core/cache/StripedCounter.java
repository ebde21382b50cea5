package io.nestor.core.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An exact event counter for the IOTLB hit path: cells on separate cache lines, a thread picks its
 * cell by its id, so readers on different cores rarely touch the same line.
 *
 * <p>Unlike {@link java.util.concurrent.atomic.LongAdder} it never allocates (no lazily created
 * cells, no contention-driven growth) and needs no probe state; two threads that share a cell
 * still count exactly, since the increment is atomic, they merely contend.
 */
final class StripedCounter {
    /** Longs between cells: 128 bytes, enough for adjacent-line prefetching. */
    private static final int PAD = 16;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] cells;
    private final int mask;

    StripedCounter() {
        int stripes = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 2 - 1) << 1;
        this.mask = stripes - 1;
        // One leading pad so that cell 0 does not share a line with the array header.
        this.cells = new long[(stripes + 1) * PAD];
    }

    void increment() {
        int cell = ((int) Thread.currentThread().getId() & mask) * PAD + PAD;
        LONGS.getAndAdd(cells, cell, 1L);
    }

    long sum() {
        long sum = 0;
        for (int i = PAD; i < cells.length; i += PAD) {
            sum += (long) LONGS.getVolatile(cells, i);
        }
        return sum;
    }
}
