package io.nestor.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.translation.InvalidationScope;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Readers racing one writer on a tiny IOTLB (4 sets, so every fill evicts and every set is
 * rewritten constantly) never see a torn entry: each value written for page {@code p} encodes
 * {@code p} in its output address and a checksum of it in its permissions, so a key paired with
 * another key's value, or a half-written value, is detected. Bounded iterations, no timing.
 */
class IotlbConcurrencyTest {
    private static final int PAGES = 64;
    private static final int WRITES = 2_000_000;

    private static long valueFor(long page, long version) {
        long out = (page << 24 | (version & 0xFFFFFF)) << 12;
        return IotlbEntry.pack(out, 12, checksum(page, version));
    }

    private static int checksum(long page, long version) {
        return (int) ((page * 31 + version) % 63) + 1; // 1..63, all valid permission bit sets
    }

    @Test
    void readersNeverSeeATornEntry() throws InterruptedException {
        Iotlb iotlb = new Iotlb(16);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicLong hitsSeen = new AtomicLong();
        int readers = 3;
        CountDownLatch started = new CountDownLatch(readers);
        Thread[] threads = new Thread[readers];
        for (int r = 0; r < readers; r++) {
            long seed = r;
            threads[r] = new Thread(() -> {
                started.countDown();
                long page = seed;
                long hits = 0;
                while (!done.get() && failure.get() == null) {
                    page = (page * 7 + 3) % PAGES;
                    long e = iotlb.lookup(0, 1, 2, IotlbKind.STAGE1, page << 12);
                    if (e == IotlbEntry.MISS) {
                        continue;
                    }
                    hits++;
                    long base = IotlbEntry.pageBase(e) >>> 12;
                    long gotPage = base >>> 24;
                    long version = base & 0xFFFFFF;
                    if (gotPage != page || IotlbEntry.pageShift(e) != 12
                            || IotlbEntry.permissions(e) != checksum(page, version)) {
                        failure.compareAndSet(null, "page " + page + " answered " + IotlbEntry.toString(e));
                    }
                }
                hitsSeen.addAndGet(hits);
            });
            threads[r].start();
        }
        started.await();
        for (int i = 0; i < WRITES && failure.get() == null; i++) {
            long page = i % PAGES;
            iotlb.fill(iotlb.fillToken(), 0, 1, 2, IotlbKind.STAGE1, page << 12, valueFor(page, i));
            if (i % 1000 == 999) {
                iotlb.invalidate(new InvalidationScope.AddressSpaceRange(0, 1, 2, (long) (i % PAGES) << 12, 0x3000, true));
            }
        }
        done.set(true);
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(null, failure.get());
        assertTrue(iotlb.statistics().evictions() > 0, "the writer churned the sets");
        assertEquals(iotlb.statistics().hits(), hitsSeen.get(), "hits counted exactly across threads");
    }
}
