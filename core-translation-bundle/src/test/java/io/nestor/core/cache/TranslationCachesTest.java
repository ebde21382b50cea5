package io.nestor.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.core.testformat.TestPageTableFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class TranslationCachesTest {
    private static final TestPageTableFormat F = TestPageTableFormat.granule4k();

    private final TranslationCaches caches = new TranslationCaches(256, 64, 16);

    private void populate() {
        Iotlb iotlb = caches.iotlb();
        iotlb.fill(iotlb.fillToken(), 0, 1, -1, IotlbKind.STAGE2, 0x1000, IotlbEntry.pack(0x2000, 12, Permission.ALL));
        WalkCache walk = caches.walkCache();
        walk.fill(walk.fillToken(), 0, WalkStage.STAGE2, 1, -1, F, 0, 0x1000, 0x3000, Permission.ALL);
        ConfigCache config = caches.configCache();
        config.fill(config.fillToken(), 0, 0x10, -1, TranslationConfig.bypass(1));
    }

    @Test
    void oneScopeReachesEveryCache() {
        populate();
        assertEquals(3, caches.invalidate(new InvalidationScope.Unit(0)));
        assertEquals(IotlbEntry.MISS, caches.iotlb().lookup(0, 1, -1, IotlbKind.STAGE2, 0x1000));
        assertEquals(WalkCacheEntry.MISS,
                caches.walkCache().lookupDeepest(0, WalkStage.STAGE2, 1, -1, F, 0x1000));
        assertNull(caches.configCache().lookup(0, 0x10, -1));
    }

    @Test
    void aLeavingDriverTakesOnlyTheConfigurations() {
        populate();
        assertEquals(1, caches.driverLeft(0));
        assertNull(caches.configCache().lookup(0, 0x10, -1));
        assertNotEquals(IotlbEntry.MISS, caches.iotlb().lookup(0, 1, -1, IotlbKind.STAGE2, 0x1000),
                "the IOTLB holds numbers only and keeps serving across a driver swap");
        assertNotEquals(WalkCacheEntry.MISS,
                caches.walkCache().lookupDeepest(0, WalkStage.STAGE2, 1, -1, F, 0x1000));
    }

    @Test
    void statisticsPerCache() {
        populate();
        caches.iotlb().lookup(0, 1, -1, IotlbKind.STAGE2, 0x1000);
        List<CacheStatistics> stats = caches.statistics();
        assertEquals(List.of("iotlb", "walk", "config"), stats.stream().map(CacheStatistics::cache).toList());
        assertEquals(1, stats.get(0).hits());
        assertEquals(1, stats.get(1).entries());
        assertEquals(16, stats.get(2).capacity());
        assertTrue(stats.get(0).toString().contains("1 hits"), stats.get(0).toString());
    }

    @Test
    void scopesRejectBadValuesWithEinvalNamingThem() {
        IommuException e = assertThrows(IommuException.class, () -> new InvalidationScope.Domain(0, 70000));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("70000"), e.getMessage());
        e = assertThrows(IommuException.class, () -> new InvalidationScope.AddressSpace(0, 1, 1 << 20));
        assertTrue(e.getMessage().contains(Integer.toString(1 << 20)), e.getMessage());
        e = assertThrows(IommuException.class,
                () -> new InvalidationScope.AddressSpaceRange(0, 1, 1, 0x1000, 0, false));
        assertTrue(e.getMessage().contains("0x1000"), e.getMessage());
        e = assertThrows(IommuException.class,
                () -> new InvalidationScope.Stage2Range(0, 1, 0xFFFF_FFFF_FFFF_F000L, 0x2000, false));
        assertTrue(e.getMessage().contains("wraps"), e.getMessage());
        assertThrows(IommuException.class, () -> new InvalidationScope.Unit(-1));
        assertThrows(IommuException.class, () -> new InvalidationScope.DeviceConfig(0, -5, 0));
        assertThrows(IommuException.class, () -> new InvalidationScope.DomainConfig(0, 1, -2));
        // The whole 64-bit space up to its last byte is a legal range.
        assertEquals(-1L, new InvalidationScope.Stage2Range(0, 1, 0xFFFF_FFFF_FFFF_F000L, 0x1000, false).last());
    }
}
