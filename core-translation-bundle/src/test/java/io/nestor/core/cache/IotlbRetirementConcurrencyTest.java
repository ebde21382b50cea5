package io.nestor.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.InvalidationScope;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Readers on the handle path while a writer fills four domains and retires them, with only three
 * indices, so that indices are retired, swept and reused all the time. Each value names its domain
 * and page, so a hit answering another domain's entry (a reused index seen by a slow reader) or a
 * torn key / value pair is detected. Bounded iterations, no timing.
 */
class IotlbRetirementConcurrencyTest {
    private static final int DOMAINS = 4;
    private static final int PAGES = 8;
    private static final int WRITES = 400_000;

    private static long valueFor(int domain, long page, long version) {
        long out = ((long) domain << 36 | page << 28 | (version & 0xFFFFFFF)) << 12;
        return IotlbEntry.pack(out, 12, Permission.ALL);
    }

    @Test
    void aHitAlwaysAnswersItsOwnDomainAndPage() throws InterruptedException {
        Iotlb iotlb = new Iotlb(16, 4);
        IotlbHandle[] h = new IotlbHandle[DOMAINS];
        for (int d = 0; d < DOMAINS; d++) {
            h[d] = iotlb.handle(0, d, 2, IotlbKind.STAGE1);
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicLong hitsSeen = new AtomicLong();
        int readers = 2;
        CountDownLatch started = new CountDownLatch(readers);
        Thread[] threads = new Thread[readers];
        for (int r = 0; r < readers; r++) {
            long seed = r;
            threads[r] = new Thread(() -> {
                started.countDown();
                long x = seed;
                long hits = 0;
                while (!done.get() && failure.get() == null) {
                    x = x * 6364136223846793005L + 1442695040888963407L;
                    int d = (int) (x >>> 60) & (DOMAINS - 1);
                    long page = (x >>> 40) & (PAGES - 1);
                    long e = iotlb.lookup(h[d], page << 12);
                    if (e == IotlbEntry.MISS) {
                        continue;
                    }
                    hits++;
                    long base = IotlbEntry.pageBase(e) >>> 12;
                    if (base >>> 36 != d || (base >>> 28 & 0xFF) != page || IotlbEntry.pageShift(e) != 12) {
                        failure.compareAndSet(null, "domain " + d + " page " + page + " answered "
                                + IotlbEntry.toString(e));
                    }
                }
                hitsSeen.addAndGet(hits);
            });
            threads[r].start();
        }
        started.await();
        for (int i = 0; i < WRITES && failure.get() == null; i++) {
            int d = i % DOMAINS;
            long page = (i / DOMAINS) % PAGES;
            iotlb.fill(iotlb.fillToken(), h[d], page << 12, valueFor(d, page, i));
            if (i % 97 == 96) {
                iotlb.invalidate(new InvalidationScope.Domain(0, (i / 97) % DOMAINS));
            }
        }
        done.set(true);
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(null, failure.get());
        assertTrue(hitsSeen.get() > 0, "readers saw hits to check");
        assertTrue(iotlb.statistics().rejectedFills() > 0, "indices ran out: reuse was exercised");
        assertEquals(iotlb.statistics().hits(), hitsSeen.get(), "hits counted exactly across threads");
    }
}
