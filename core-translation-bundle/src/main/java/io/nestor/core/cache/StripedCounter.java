package io.nestor.core.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;

/**
 * An exact event counter cheap enough for the IOTLB hit path: a thread that owns a cell counts
 * with a plain load and an opaque store, no atomic instruction and no shared cache line.
 *
 * <p>Cells are picked by thread id ({@value #CELLS} of them, each on its own 128-byte stretch of
 * one array, holding the owner's thread id plus one and the count side by side, so the ownership
 * check and the increment touch one cache line; thread ids are never reused, so a thread sees its
 * own id in a cell only if it wrote it there). The first thread to find a cell free claims it;
 * only the owner ever writes a cell's count, so its plain increments are exact. A thread whose cell is owned by another live thread counts in
 * a shared {@link LongAdder} instead. A cell whose owner has terminated is reclaimed: its count
 * moves to {@code retired} first (thread termination happens-before {@code isAlive()} answering
 * false, so the dead owner's last increment is seen). {@link #sum()} is exact when no increment is
 * in flight.
 */
final class StripedCounter {
    private static final int CELLS = 64;
    /** Longs between cells: 128 bytes, so that adjacent-line prefetch does not couple them. */
    private static final int PAD = 16;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] cells = new long[(CELLS + 1) * PAD];
    private final Thread[] owners = new Thread[CELLS];
    private final LongAdder shared = new LongAdder();
    private final LongAdder retired = new LongAdder();

    void increment() {
        long id = Thread.currentThread().getId();
        int i = (((int) id & (CELLS - 1)) + 1) * PAD;
        // A plain read: a thread only ever sees its own id here if it wrote it here.
        if (cells[i] == id + 1) {
            LONGS.setOpaque(cells, i + 1, cells[i + 1] + 1);
        } else {
            incrementUnowned(Thread.currentThread(), (int) id & (CELLS - 1));
        }
    }

    private void incrementUnowned(Thread t, int cell) {
        synchronized (owners) {
            Thread owner = owners[cell];
            if (owner == null || !owner.isAlive()) {
                int i = (cell + 1) * PAD;
                retired.add((long) LONGS.getVolatile(cells, i + 1));
                LONGS.setVolatile(cells, i + 1, 1L);
                owners[cell] = t;
                LONGS.setVolatile(cells, i, t.getId() + 1);
                return;
            }
        }
        shared.increment();
    }

    long sum() {
        long sum = shared.sum() + retired.sum();
        for (int cell = 0; cell < CELLS; cell++) {
            sum += (long) LONGS.getVolatile(cells, (cell + 1) * PAD + 1);
        }
        return sum;
    }
}
