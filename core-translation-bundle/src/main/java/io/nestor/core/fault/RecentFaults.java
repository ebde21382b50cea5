package io.nestor.core.fault;

import java.util.ArrayList;
import java.util.List;

/**
 * The most recent faults of one unit, for the shell and diagnostics: a ring of fixed capacity that
 * keeps the newest and counts what it overwrote. Thread-safe (synchronised; faults are not on the
 * hit path).
 */
final class RecentFaults {
    private final FaultEvent[] ring;
    private long written;

    RecentFaults(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        ring = new FaultEvent[capacity];
    }

    synchronized void add(FaultEvent event) {
        ring[(int) (written % ring.length)] = event;
        written++;
    }

    /** Up to {@code limit} faults, newest first. */
    synchronized List<FaultEvent> newest(int limit) {
        int n = (int) Math.min(Math.min(written, ring.length), Math.max(0, limit));
        List<FaultEvent> out = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            out.add(ring[(int) ((written - i) % ring.length)]);
        }
        return out;
    }

    /** Faults that were kept once and have been overwritten since. */
    synchronized long overwritten() {
        return Math.max(0, written - ring.length);
    }
}
