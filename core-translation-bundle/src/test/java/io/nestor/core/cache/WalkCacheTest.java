package io.nestor.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.core.testformat.TestPageTableFormat;
import org.junit.jupiter.api.Test;

class WalkCacheTest {
    private static final TestPageTableFormat F = TestPageTableFormat.granule4k();
    private static final int P = Permission.READ | Permission.USER;

    private final WalkCache cache = new WalkCache(1024);

    private void fill(WalkStage stage, int dom, int as, int level, long input, long table) {
        assertTrue(cache.fill(cache.fillToken(), 0, stage, dom, as, F, level, input, table, P));
    }

    @Test
    void deepestCachedLevelWins() {
        long iova = 0x0000_7F12_3440_0000L; // 2 MiB aligned
        fill(WalkStage.STAGE1, 1, 3, 2, iova, 0xA000);
        assertEquals(2, WalkCacheEntry.level(cache.lookupDeepest(0, WalkStage.STAGE1, 1, 3, F, iova)));
        fill(WalkStage.STAGE1, 1, 3, 0, iova, 0xC000);
        long e = cache.lookupDeepest(0, WalkStage.STAGE1, 1, 3, F, iova + 0x1FF000); // same 2 MiB region
        assertEquals(0, WalkCacheEntry.level(e));
        assertEquals(0xC000, WalkCacheEntry.tableAddress(e));
        assertEquals(P, WalkCacheEntry.permissions(e));
        // Another 2 MiB region under the same 1 GiB: the level-0 entry does not apply, level 2 does.
        long e2 = cache.lookupDeepest(0, WalkStage.STAGE1, 1, 3, F, iova + 0x200000);
        assertEquals(2, WalkCacheEntry.level(e2));
        assertEquals(0xA000, WalkCacheEntry.tableAddress(e2));
        assertEquals(WalkCacheEntry.MISS, cache.lookupDeepest(0, WalkStage.STAGE1, 1, 4, F, iova), "PASID is a tag");
        assertEquals(WalkCacheEntry.MISS, cache.lookupDeepest(0, WalkStage.STAGE2, 1, 3, F, iova), "stage is a tag");
        assertEquals(0xC000, WalkCacheEntry.tableAddress(cache.lookup(0, WalkStage.STAGE1, 1, 3, F, 0, iova)));
        assertEquals(WalkCacheEntry.MISS, cache.lookup(0, WalkStage.STAGE1, 1, 3, F, 1, iova));
    }

    @Test
    void rootAndMisalignedTablesAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> cache.fill(cache.fillToken(), 0, WalkStage.STAGE1, 1, 3, F, 3, 0, 0x1000, P));
        assertThrows(IllegalArgumentException.class,
                () -> cache.fill(cache.fillToken(), 0, WalkStage.STAGE1, 1, 3, F, 0, 0, 0x1008, P));
    }

    @Test
    void leafOnlyRangeKeepsTablesAndFullRangeDropsOverlappingOnes() {
        fill(WalkStage.STAGE1, 1, 3, 0, 0x200000, 0xA000);   // covers [2 MiB, 4 MiB)
        fill(WalkStage.STAGE1, 1, 3, 0, 0x600000, 0xB000);   // covers [6 MiB, 8 MiB)
        fill(WalkStage.STAGE1, 1, 3, 1, 0x200000, 0xC000);   // covers [0, 1 GiB)
        cache.invalidate(new InvalidationScope.AddressSpaceRange(0, 1, 3, 0x201000, 0x1000, true));
        assertEquals(3, cache.statistics().entries());
        cache.invalidate(new InvalidationScope.AddressSpaceRange(0, 1, 3, 0x201000, 0x1000, false));
        assertEquals(WalkCacheEntry.MISS, cache.lookup(0, WalkStage.STAGE1, 1, 3, F, 0, 0x200000));
        assertEquals(WalkCacheEntry.MISS, cache.lookup(0, WalkStage.STAGE1, 1, 3, F, 1, 0x200000));
        assertEquals(0xB000, WalkCacheEntry.tableAddress(cache.lookup(0, WalkStage.STAGE1, 1, 3, F, 0, 0x600000)));
    }

    @Test
    void stage2RangeDropsAllStage1OfTheDomainAndOverlappingStage2() {
        fill(WalkStage.STAGE1, 1, 3, 0, 0x7F00_0000_0000L, 0xA000);
        fill(WalkStage.STAGE1, 2, 3, 0, 0x7F00_0000_0000L, 0xA000); // other domain
        fill(WalkStage.STAGE2, 1, -1, 0, 0x200000, 0xB000);
        fill(WalkStage.STAGE2, 1, -1, 0, 0x800000, 0xC000);
        cache.invalidate(new InvalidationScope.Stage2Range(0, 1, 0x200000, 0x1000, true));
        assertEquals(WalkCacheEntry.MISS, cache.lookup(0, WalkStage.STAGE1, 1, 3, F, 0, 0x7F00_0000_0000L),
                "stage-1 tables were reached through stage 2: dropped even for a leaf-only stage-2 change");
        assertFalse(cache.lookup(0, WalkStage.STAGE2, 1, -1, F, 0, 0x200000) == WalkCacheEntry.MISS,
                "leaf-only keeps stage-2 tables");
        cache.invalidate(new InvalidationScope.Stage2Range(0, 1, 0x200000, 0x1000, false));
        assertEquals(WalkCacheEntry.MISS, cache.lookup(0, WalkStage.STAGE2, 1, -1, F, 0, 0x200000));
        assertEquals(0xC000, WalkCacheEntry.tableAddress(cache.lookup(0, WalkStage.STAGE2, 1, -1, F, 0, 0x800000)));
        assertEquals(0xA000, WalkCacheEntry.tableAddress(cache.lookup(0, WalkStage.STAGE1, 2, 3, F, 0, 0x7F00_0000_0000L)));
    }

    @Test
    void addressSpaceAndDomainScopes() {
        fill(WalkStage.STAGE1, 1, 3, 0, 0x1000, 0xA000);
        fill(WalkStage.STAGE1, 1, 4, 0, 0x1000, 0xA000);
        fill(WalkStage.STAGE2, 1, -1, 0, 0x1000, 0xB000);
        assertEquals(1, cache.invalidate(new InvalidationScope.AddressSpace(0, 1, 3)));
        assertEquals(1, cache.invalidate(new InvalidationScope.AddressSpace(0, 1, InvalidationScope.ANY)));
        assertEquals(1, cache.statistics().entries(), "stage-2 entries are not stage-1 address spaces");
        assertEquals(0, cache.invalidate(new InvalidationScope.UnitConfig(0)));
        assertEquals(1, cache.invalidate(new InvalidationScope.Domain(0, 1)));
        assertEquals(0, cache.statistics().entries());
    }

    @Test
    void boundedWithEvictionsAndTokenChecked() {
        WalkCache small = new WalkCache(16);
        for (int i = 0; i < 200; i++) {
            small.fill(small.fillToken(), 0, WalkStage.STAGE2, 1, -1, F, 0, (long) i << 21, 0x1000L * (i + 1), P);
        }
        CacheStatistics s = small.statistics();
        assertTrue(s.entries() <= 16);
        assertEquals(200 - s.entries(), s.evictions());
        long token = small.fillToken();
        small.invalidate(new InvalidationScope.Unit(0));
        assertFalse(small.fill(token, 0, WalkStage.STAGE2, 1, -1, F, 0, 0, 0x1000, P));
        assertEquals(1, small.statistics().rejectedFills());
    }
}
