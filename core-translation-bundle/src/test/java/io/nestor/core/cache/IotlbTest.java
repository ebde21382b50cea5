package io.nestor.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.TranslationMode;
import org.junit.jupiter.api.Test;

class IotlbTest {
    private static final int RW = Permission.READ | Permission.WRITE | Permission.USER;

    private final Iotlb iotlb = new Iotlb(4096);

    private boolean fill(int unit, int dom, int as, IotlbKind kind, long iova, long out, int shift) {
        return iotlb.fill(iotlb.fillToken(), unit, dom, as, kind, iova, IotlbEntry.pack(out, shift, RW));
    }

    private long lookup(int unit, int dom, int as, IotlbKind kind, long iova) {
        return iotlb.lookup(unit, dom, as, kind, iova);
    }

    @Test
    void hitReturnsPackedTranslationAndOffsetWithinPage() {
        assertTrue(fill(1, 7, 3, IotlbKind.STAGE1, 0x1234_5000L, 0xABCD_E000L, 12));
        long e = lookup(1, 7, 3, IotlbKind.STAGE1, 0x1234_5678L);
        assertTrue(IotlbEntry.isHit(e));
        assertEquals(0xABCD_E678L, IotlbEntry.outputAddress(e, 0x1234_5678L));
        assertEquals(12, IotlbEntry.pageShift(e));
        assertEquals(RW, IotlbEntry.permissions(e));
        assertEquals(0xABCD_E678L, IotlbEntry.toTranslation(e, 0x1234_5678L).outputAddress());
    }

    @Test
    void everyTagIsPartOfTheKey() {
        fill(1, 7, 3, IotlbKind.STAGE1, 0x5000, 0x9000, 12);
        assertEquals(IotlbEntry.MISS, lookup(2, 7, 3, IotlbKind.STAGE1, 0x5000), "unit");
        assertEquals(IotlbEntry.MISS, lookup(1, 8, 3, IotlbKind.STAGE1, 0x5000), "domain tag");
        assertEquals(IotlbEntry.MISS, lookup(1, 7, 4, IotlbKind.STAGE1, 0x5000), "PASID");
        assertEquals(IotlbEntry.MISS, lookup(1, 7, -1, IotlbKind.STAGE1, 0x5000), "untagged");
        assertEquals(IotlbEntry.MISS, lookup(1, 7, 3, IotlbKind.NESTED, 0x5000), "kind");
        assertEquals(IotlbEntry.MISS, lookup(1, 7, 3, IotlbKind.STAGE1, 0x6000), "page");
        assertTrue(IotlbEntry.isHit(lookup(1, 7, 3, IotlbKind.STAGE1, 0x5FFF)));
    }

    @Test
    void largePagesAreFoundFromAnyAddressInside() {
        fill(0, 1, -1, IotlbKind.STAGE2, 0x4020_0000L, 0x8000_0000L, 21);
        fill(0, 1, -1, IotlbKind.STAGE2, 0x1_0000_1000L, 0x7000_1000L, 12);
        long e = lookup(0, 1, -1, IotlbKind.STAGE2, 0x403F_F123L);
        assertEquals(0x801F_F123L, IotlbEntry.outputAddress(e, 0x403F_F123L));
        assertEquals(21, IotlbEntry.pageShift(e));
        assertEquals(IotlbEntry.MISS, lookup(0, 1, -1, IotlbKind.STAGE2, 0x4040_0000L));
        assertEquals(0x7000_1008L, IotlbEntry.outputAddress(lookup(0, 1, -1, IotlbKind.STAGE2, 0x1_0000_1008L),
                0x1_0000_1008L));
    }

    @Test
    void kindFollowsTranslationMode() {
        assertEquals(IotlbKind.NESTED, IotlbKind.of(TranslationMode.NESTED));
        assertEquals(IotlbKind.BYPASS, IotlbKind.of(TranslationMode.BYPASS));
        assertThrows(IllegalArgumentException.class, () -> IotlbKind.of(TranslationMode.ABORT));
    }

    @Test
    void badTagsAndEntriesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> lookup(0x10000, 1, 1, IotlbKind.STAGE1, 0));
        assertThrows(IllegalArgumentException.class, () -> lookup(0, 0x10000, 1, IotlbKind.STAGE1, 0));
        assertThrows(IllegalArgumentException.class, () -> lookup(0, 1, 1 << 20, IotlbKind.STAGE1, 0));
        assertThrows(IllegalArgumentException.class, () -> lookup(0, 1, -2, IotlbKind.STAGE1, 0));
        assertThrows(IllegalArgumentException.class, () -> IotlbEntry.pack(0, 11, RW));
        assertThrows(IllegalArgumentException.class, () -> IotlbEntry.pack(0, 12, 1 << 6));
        assertThrows(IllegalArgumentException.class,
                () -> iotlb.fill(iotlb.fillToken(), 0, 1, 1, IotlbKind.STAGE1, 0, IotlbEntry.MISS));
    }

    @Test
    void statisticsCountHitsMissesAndFills() {
        fill(0, 1, 1, IotlbKind.STAGE1, 0x1000, 0x2000, 12);
        fill(0, 1, 1, IotlbKind.STAGE1, 0x3000, 0x4000, 12);
        for (int i = 0; i < 5; i++) {
            lookup(0, 1, 1, IotlbKind.STAGE1, 0x1000);
        }
        for (int i = 0; i < 3; i++) {
            lookup(0, 1, 1, IotlbKind.STAGE1, 0x9000);
        }
        CacheStatistics s = iotlb.statistics();
        assertEquals(5, s.hits());
        assertEquals(3, s.misses());
        assertEquals(2, s.fills());
        assertEquals(2, s.entries());
        assertEquals(0, s.evictions());
        assertEquals(5.0 / 8, s.hitRatio(), 1e-9);
        iotlb.invalidate(new InvalidationScope.Domain(0, 1));
        s = iotlb.statistics();
        assertEquals(1, s.invalidations());
        assertEquals(2, s.invalidatedEntries());
        assertEquals(0, s.entries());
    }

    @Test
    void hitsFromManyThreadsAreCountedExactly() throws InterruptedException {
        fill(0, 1, 1, IotlbKind.STAGE1, 0x1000, 0x2000, 12);
        int threads = 80; // more than the counter's 64 cells: some threads share and count in the fallback
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            workers[t] = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    lookup(0, 1, 1, IotlbKind.STAGE1, 0x1000);
                }
            });
            workers[t].start();
        }
        for (Thread w : workers) {
            w.join();
        }
        assertEquals(threads * 1000L, iotlb.statistics().hits());
    }

    @Test
    void capacityIsBoundedAndEvictionsCounted() {
        Iotlb small = new Iotlb(64);
        assertEquals(64, small.capacity());
        int fills = 1000;
        for (int i = 0; i < fills; i++) {
            assertTrue(small.fill(small.fillToken(), 0, 1, 1, IotlbKind.STAGE1, (long) i << 12,
                    IotlbEntry.pack(0x100000L + ((long) i << 12), 12, RW)));
        }
        CacheStatistics s = small.statistics();
        assertTrue(s.entries() <= 64, "entries " + s.entries());
        assertEquals(fills, s.fills());
        assertEquals(fills - s.entries(), s.evictions());
        int hits = 0;
        for (int i = 0; i < fills; i++) {
            long e = small.lookup(0, 1, 1, IotlbKind.STAGE1, (long) i << 12);
            if (e != IotlbEntry.MISS) {
                hits++;
                assertEquals(0x100000L + ((long) i << 12), IotlbEntry.pageBase(e), "an entry answers only for its page");
            }
        }
        assertEquals(s.entries(), hits);
    }

    @Test
    void refillOfTheSameKeyReplacesWithoutEviction() {
        fill(0, 1, 1, IotlbKind.STAGE1, 0x1000, 0x2000, 12);
        fill(0, 1, 1, IotlbKind.STAGE1, 0x1000, 0x5000, 12);
        assertEquals(0x5000, IotlbEntry.pageBase(lookup(0, 1, 1, IotlbKind.STAGE1, 0x1000)));
        assertEquals(1, iotlb.statistics().entries());
        assertEquals(0, iotlb.statistics().evictions());
    }

    @Test
    void fillWithATokenOlderThanAnInvalidationIsDropped() {
        long token = iotlb.fillToken();
        iotlb.invalidate(new InvalidationScope.AddressSpace(0, 1, 1));
        assertFalse(iotlb.fill(token, 0, 1, 1, IotlbKind.STAGE1, 0x1000, IotlbEntry.pack(0x2000, 12, RW)));
        assertEquals(IotlbEntry.MISS, lookup(0, 1, 1, IotlbKind.STAGE1, 0x1000));
        assertEquals(1, iotlb.statistics().rejectedFills());
        // Configuration-only scopes do not concern the IOTLB and do not reject fills.
        token = iotlb.fillToken();
        iotlb.invalidate(new InvalidationScope.UnitConfig(0));
        assertTrue(iotlb.fill(token, 0, 1, 1, IotlbKind.STAGE1, 0x1000, IotlbEntry.pack(0x2000, 12, RW)));
    }
}
