package io.nestor.core.ioasid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Several threads allocate and free in a small space, some sharing a set, while a custom allocator
 * comes and goes: a PASID is never live twice, quotas hold, and everything is released at the end.
 */
class IoasidConcurrencyTest {

    private static final int THREADS = 6;
    private static final int ROUNDS = 4000;

    @Test
    void noPasidIsEverHandedOutTwice() throws Exception {
        IoasidSpace space = new IoasidSpace(7); // 127 PASIDs, so threads compete for them
        IoasidSet[] sets = {space.openSet("s0", 40), space.openSet("s1", 40), space.openSet("s2", 40)};
        IoasidAllocatorTracker tracker = new IoasidAllocatorTracker(space);
        Set<Integer> live = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        AtomicInteger allocations = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                IoasidSet set = sets[t % sets.length];
                long seed = t;
                futures.add(pool.submit(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    List<Integer> mine = new ArrayList<>();
                    start.await();
                    for (int i = 0; i < ROUNDS; i++) {
                        if (mine.isEmpty() || random.nextInt(3) > 0) {
                            try {
                                int p = set.allocate(1, 127);
                                allocations.incrementAndGet();
                                if (!live.add(p)) {
                                    duplicates.incrementAndGet();
                                }
                                mine.add(p);
                            } catch (IommuException e) {
                                assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
                            }
                        } else {
                            int p = mine.remove(random.nextInt(mine.size()));
                            // Forget it before freeing: once freed another thread may rightly get it.
                            live.remove(p);
                            set.free(p);
                        }
                        assertTrue(set.count() <= set.quota());
                    }
                    for (int p : mine) {
                        live.remove(p);
                        set.free(p);
                    }
                    return null;
                }));
            }
            futures.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 200; i++) {
                    HostAllocator host = new HostAllocator(127);
                    tracker.bind(host);
                    Thread.yield();
                    tracker.unbind(host);
                }
                return null;
            }));
            start.countDown();
            for (Future<?> f : futures) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, duplicates.get(), "a PASID was handed out while live");
        assertTrue(allocations.get() > THREADS * ROUNDS / 10, "the threads did allocate: " + allocations.get());
        assertEquals(0, space.allocatedCount());
        for (IoasidSet s : sets) {
            assertEquals(0, s.count());
        }
    }
}
