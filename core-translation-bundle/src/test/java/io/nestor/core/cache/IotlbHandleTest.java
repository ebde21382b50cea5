package io.nestor.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.InvalidationScope;
import org.junit.jupiter.api.Test;

/**
 * Tag handles: one per tag tuple, the same entries as the tag-word methods, O(1) retirement on
 * whole-tag invalidations, index reuse only after a sweep, the serial wrap of the assignment word,
 * the one-word key encoding, and the capacity of the new layout.
 */
class IotlbHandleTest {
    private static long entry(long out, int shift) {
        return IotlbEntry.pack(out, shift, Permission.ALL);
    }

    private static int index(IotlbHandle h) {
        return (int) (h.assignment & TagHandles.INDEX_MASK);
    }

    @Test
    void oneHandlePerTagSharingEntriesWithTheTagWordMethods() {
        Iotlb iotlb = new Iotlb(1024);
        IotlbHandle h = iotlb.handle(1, 7, 3, IotlbKind.NESTED);
        assertSame(h, iotlb.handle(1, 7, 3, IotlbKind.NESTED));
        assertSame(h, iotlb.handle(Iotlb.tag(1, 7, 3, IotlbKind.NESTED)));
        assertNotEquals(h, iotlb.handle(1, 7, 3, IotlbKind.STAGE1));
        assertEquals(7, h.domainTag());
        assertEquals(IotlbKind.NESTED, h.kind());

        assertTrue(iotlb.fill(iotlb.fillToken(), h, 0x5000, entry(0x9000, 12)));
        assertEquals(0x9123, IotlbEntry.outputAddress(iotlb.lookup(1, 7, 3, IotlbKind.NESTED, 0x5123), 0x5123));
        assertTrue(iotlb.fill(iotlb.fillToken(), 1, 7, 3, IotlbKind.NESTED, 0x20_0000, entry(0x40_0000, 21)));
        assertEquals(0x41_2345, IotlbEntry.outputAddress(iotlb.lookup(h, 0x21_2345), 0x21_2345));
        assertEquals(IotlbEntry.MISS, iotlb.lookup(iotlb.handle(1, 7, 3, IotlbKind.STAGE1), 0x5000));
    }

    @Test
    void aHandleOfAnotherIotlbIsRefused() {
        Iotlb a = new Iotlb(64);
        Iotlb b = new Iotlb(64);
        IotlbHandle h = a.handle(0, 1, 1, IotlbKind.STAGE1);
        assertThrows(IllegalArgumentException.class, () -> b.lookup(h, 0));
        assertThrows(IllegalArgumentException.class, () -> b.fill(b.fillToken(), h, 0, entry(0x1000, 12)));
    }

    @Test
    void domainInvalidationRetiresTheHandlesIndexAndCountsItsEntries() {
        Iotlb iotlb = new Iotlb(1024);
        IotlbHandle h = iotlb.handle(0, 1, 2, IotlbKind.STAGE1);
        IotlbHandle other = iotlb.handle(0, 2, 2, IotlbKind.STAGE1);
        for (int i = 0; i < 10; i++) {
            assertTrue(iotlb.fill(iotlb.fillToken(), h, (long) i << 12, entry(0x100000L + ((long) i << 12), 12)));
        }
        assertTrue(iotlb.fill(iotlb.fillToken(), other, 0, entry(0x7000, 12)));
        int before = index(h);
        assertNotEquals(0, before);

        assertEquals(10, iotlb.invalidate(new InvalidationScope.Domain(0, 1)));
        assertEquals(0, index(h), "retired: no index");
        assertEquals(1, iotlb.handles().quarantinedCount(), "the old index waits for a sweep");
        for (int i = 0; i < 10; i++) {
            assertEquals(IotlbEntry.MISS, iotlb.lookup(h, (long) i << 12));
        }
        assertEquals(1, iotlb.statistics().entries(), "dead entries are not counted");
        assertEquals(0x7000, IotlbEntry.pageBase(iotlb.lookup(other, 0)), "another domain stays");

        // Refilled: a fresh index; the old entries never come back.
        assertTrue(iotlb.fill(iotlb.fillToken(), h, 0, entry(0x200000, 12)));
        assertNotEquals(before, index(h));
        assertEquals(0x200000, IotlbEntry.pageBase(iotlb.lookup(h, 0)));
        assertEquals(IotlbEntry.MISS, iotlb.lookup(h, 1L << 12));
    }

    @Test
    void aFillTokenTakenBeforeARetirementIsRefusedAfterIt() {
        Iotlb iotlb = new Iotlb(64);
        IotlbHandle h = iotlb.handle(0, 1, 2, IotlbKind.STAGE1);
        assertTrue(iotlb.fill(iotlb.fillToken(), h, 0, entry(0x1000, 12)));
        long token = iotlb.fillToken();
        iotlb.invalidate(new InvalidationScope.AddressSpace(0, 1, 2));
        assertFalse(iotlb.fill(token, h, 0x1000, entry(0x2000, 12)), "walk raced the invalidation");
        assertEquals(IotlbEntry.MISS, iotlb.lookup(h, 0x1000));
        assertEquals(0, index(h), "a refused fill takes no index either way");
    }

    /**
     * Three usable indices and four domains: an index is reused only after a sweep removed every
     * entry of its previous handle, so a reused index never answers with another tag's entry.
     */
    @Test
    void indicesAreReusedOnlyAfterTheirEntriesAreSwept() {
        Iotlb iotlb = new Iotlb(64, 4);
        IotlbHandle[] h = new IotlbHandle[4];
        for (int d = 0; d < 4; d++) {
            h[d] = iotlb.handle(0, d, -1, IotlbKind.STAGE2);
        }
        for (int d = 0; d < 3; d++) {
            assertTrue(iotlb.fill(iotlb.fillToken(), h[d], 0x5000, entry(0x10000L * (d + 1), 12)));
        }
        assertFalse(iotlb.fill(iotlb.fillToken(), h[3], 0x5000, entry(0x40000, 12)),
                "every index is held by a handle with entries");
        assertEquals(1, iotlb.statistics().rejectedFills());

        int reused = index(h[1]);
        iotlb.invalidate(new InvalidationScope.Domain(0, 1));
        assertTrue(iotlb.fill(iotlb.fillToken(), h[3], 0x6000, entry(0x40000, 12)));
        assertEquals(reused, index(h[3]), "the retired index, swept");
        assertEquals(0, iotlb.handles().quarantinedCount());
        assertEquals(IotlbEntry.MISS, iotlb.lookup(h[3], 0x5000), "domain 1's entry was swept, not inherited");
        assertEquals(IotlbEntry.MISS, iotlb.lookup(h[1], 0x5000));
        assertEquals(0x40000, IotlbEntry.pageBase(iotlb.lookup(h[3], 0x6000)));
        assertEquals(0x10000, IotlbEntry.pageBase(iotlb.lookup(h[0], 0x5000)));
        assertEquals(3, iotlb.statistics().entries());
    }

    @Test
    void anIdleHandlesIndexIsTakenWhenNoneIsFree() {
        Iotlb iotlb = new Iotlb(64, 4);
        IotlbHandle[] h = new IotlbHandle[4];
        for (int d = 0; d < 4; d++) {
            h[d] = iotlb.handle(0, d, 1, IotlbKind.STAGE1);
        }
        for (int d = 0; d < 3; d++) {
            assertTrue(iotlb.fill(iotlb.fillToken(), h[d], 0x5000, entry(0x10000L * (d + 1), 12)));
        }
        // Domain 2's only entry goes by a page-range invalidation: its index stays but holds nothing.
        assertEquals(1, iotlb.invalidate(new InvalidationScope.AddressSpaceRange(0, 2, 1, 0x5000, 0x1000, true)));
        int idle = index(h[2]);
        assertNotEquals(0, idle);
        // Taking the idle index is a retirement, so it bumps the generation, which refuses every
        // fill whose walk began before it, this one included; the retried walk is admitted.
        assertFalse(iotlb.fill(iotlb.fillToken(), h[3], 0x5000, entry(0x40000, 12)));
        assertTrue(iotlb.fill(iotlb.fillToken(), h[3], 0x5000, entry(0x40000, 12)));
        assertEquals(idle, index(h[3]));
        assertEquals(0, index(h[2]));
        assertEquals(IotlbEntry.MISS, iotlb.lookup(h[2], 0x5000));
        assertEquals(0x40000, IotlbEntry.pageBase(iotlb.lookup(h[3], 0x5000)));
    }

    /**
     * The assignment word's serial (bits 18..63) wraps after 2^46 retirements; the wrap leaves a
     * working handle, and every step still changes the word (what the hit path's re-check needs).
     */
    @Test
    void theAssignmentSerialWrapsAround() {
        Iotlb iotlb = new Iotlb(64);
        IotlbHandle h = iotlb.handle(0, 1, 1, IotlbKind.STAGE1);
        assertTrue(iotlb.fill(iotlb.fillToken(), h, 0, entry(0x1000, 12)));
        long maxSerial = -1L >>> TagHandles.INDEX_BITS;
        int index = index(h);
        h.assignment = maxSerial << TagHandles.INDEX_BITS | index;
        assertEquals(0x1000, IotlbEntry.pageBase(iotlb.lookup(h, 0)), "serial is not part of the key");
        long before = h.assignment;
        iotlb.invalidate(new InvalidationScope.Domain(0, 1));
        assertEquals(0L, h.assignment, "serial wrapped to 0, no index");
        assertNotEquals(before, h.assignment);
        assertEquals(IotlbEntry.MISS, iotlb.lookup(h, 0));
        assertTrue(iotlb.fill(iotlb.fillToken(), h, 0, entry(0x3000, 12)));
        assertEquals(1L, h.assignment >>> TagHandles.INDEX_BITS);
        assertEquals(0x3000, IotlbEntry.pageBase(iotlb.lookup(h, 0)));
    }

    @Test
    void pageKeysEncodeTheSizeAndNeverCollideAcrossSizes() {
        long iova = 0x1_2345_6789_A000L;
        java.util.Set<Long> keys = new java.util.HashSet<>();
        for (int shift = 12; shift <= Iotlb.MAX_INPUT_BITS; shift++) {
            long key = Iotlb.pageKey(iova, shift);
            assertEquals(shift, Iotlb.shiftOfPageKey(key));
            assertEquals(iova >>> shift, Iotlb.pageOfPageKey(key));
            assertEquals(0, key >>> Iotlb.PAGE_BITS, "fits below the index");
            assertTrue(keys.add(key));
        }
        long top = (1L << Iotlb.MAX_INPUT_BITS) - 1;
        assertEquals(top >>> 12, Iotlb.pageOfPageKey(Iotlb.pageKey(top, 12)));
        assertEquals(0, Iotlb.pageKey(top, 12) >>> Iotlb.PAGE_BITS);
    }

    @Test
    void addressesBeyond57BitsAreNotCached() {
        Iotlb iotlb = new Iotlb(64);
        IotlbHandle h = iotlb.handle(0, 1, 1, IotlbKind.STAGE1);
        assertFalse(iotlb.fill(iotlb.fillToken(), h, 1L << 57, entry(0x1000, 12)));
        assertEquals(IotlbEntry.MISS, iotlb.lookup(h, 1L << 57));
        assertEquals(1, iotlb.statistics().rejectedFills());
        assertEquals(0, iotlb.statistics().entries());
    }

    @Test
    void deadWaysAreReusedBeforeLiveOnesAreEvicted() {
        Iotlb iotlb = new Iotlb(4); // one set of four ways
        IotlbHandle a = iotlb.handle(0, 1, 1, IotlbKind.STAGE1);
        IotlbHandle b = iotlb.handle(0, 2, 1, IotlbKind.STAGE1);
        for (int i = 0; i < 4; i++) {
            assertTrue(iotlb.fill(iotlb.fillToken(), a, (long) i << 12, entry(0x10000 + ((long) i << 12), 12)));
        }
        assertEquals(4, iotlb.statistics().entries());
        iotlb.invalidate(new InvalidationScope.Domain(0, 1));
        for (int i = 0; i < 4; i++) {
            assertTrue(iotlb.fill(iotlb.fillToken(), b, (long) i << 12, entry(0x20000 + ((long) i << 12), 12)));
        }
        assertEquals(0, iotlb.statistics().evictions(), "the retired handle's ways were free");
        for (int i = 0; i < 4; i++) {
            assertEquals(0x20000 + ((long) i << 12), IotlbEntry.pageBase(iotlb.lookup(b, (long) i << 12)));
        }
        assertTrue(iotlb.fill(iotlb.fillToken(), b, 4L << 12, entry(0x30000, 12)));
        assertEquals(1, iotlb.statistics().evictions());
        assertEquals(4, iotlb.statistics().entries());
    }

    @Test
    void capacityIsExactAndEveryFillPastItEvicts() {
        Iotlb iotlb = new Iotlb(64);
        IotlbHandle h = iotlb.handle(0, 1, 1, IotlbKind.STAGE1);
        int fills = 2000;
        for (int i = 0; i < fills; i++) {
            assertTrue(iotlb.fill(iotlb.fillToken(), h, (long) i << 12, entry((long) i << 12 | 1L << 40, 12)));
        }
        CacheStatistics s = iotlb.statistics();
        assertEquals(64, s.entries(), "every way of every set in use");
        assertEquals(fills - 64, s.evictions(), "each fill either took a free way or evicted one");
        int hits = 0;
        for (int i = 0; i < fills; i++) {
            long e = iotlb.lookup(h, (long) i << 12);
            if (e != IotlbEntry.MISS) {
                assertEquals((long) i << 12 | 1L << 40, IotlbEntry.pageBase(e));
                hits++;
            }
        }
        assertEquals(64, hits);
    }
}
