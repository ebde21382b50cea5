package io.nestor.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.testformat.TestPageTableFormat;
import org.junit.jupiter.api.Test;

class ConfigCacheTest {
    private static final TestPageTableFormat F = TestPageTableFormat.granule4k();

    private final ConfigCache cache = new ConfigCache(64);

    private static TranslationConfig stage1(int domainTag, int asTag) {
        return new TranslationConfig(TranslationMode.STAGE1, new StageConfig(F, 0x1000, false),
                null, domainTag, asTag);
    }

    private TranslationConfig put(int unit, int sid, int pasid, TranslationConfig c) {
        assertTrue(cache.fill(cache.fillToken(), unit, sid, pasid, c));
        return c;
    }

    @Test
    void lookupByUnitDeviceAndPasid() {
        TranslationConfig a = put(0, 0x10, -1, TranslationConfig.bypass(1));
        TranslationConfig b = put(0, 0x10, 5, stage1(1, 5));
        TranslationConfig c = put(1, 0x10, -1, TranslationConfig.abort());
        assertSame(a, cache.lookup(0, 0x10, -1));
        assertSame(b, cache.lookup(0, 0x10, 5));
        assertSame(c, cache.lookup(1, 0x10, -1));
        assertNull(cache.lookup(0, 0x11, -1));
        assertNull(cache.lookup(0, 0x10, 6));
        TranslationConfig a2 = put(0, 0x10, -1, TranslationConfig.bypass(2));
        assertSame(a2, cache.lookup(0, 0x10, -1), "a refill replaces");
        CacheStatistics s = cache.statistics();
        assertEquals(3, s.entries());
        assertEquals(4, s.hits() - 0, "hits: a, b, c, a2");
        assertEquals(2, s.misses());
    }

    @Test
    void deviceScopesAllPasidsOrOne() {
        put(0, 0x10, -1, TranslationConfig.bypass(1));
        put(0, 0x10, 5, stage1(1, 5));
        put(0, 0x10, 6, stage1(1, 6));
        put(0, 0x20, 5, stage1(1, 5));
        assertEquals(1, cache.invalidate(new InvalidationScope.DeviceConfig(0, 0x10, 5)));
        assertNull(cache.lookup(0, 0x10, 5));
        assertTrue(cache.lookup(0, 0x10, 6) != null);
        assertEquals(2, cache.invalidate(new InvalidationScope.DeviceConfig(0, 0x10, InvalidationScope.ANY)));
        assertNull(cache.lookup(0, 0x10, -1));
        assertNull(cache.lookup(0, 0x10, 6));
        assertTrue(cache.lookup(0, 0x20, 5) != null);
    }

    @Test
    void domainScopesMatchTheDecodedDomainTag() {
        put(0, 0x10, 5, stage1(1, 5));
        put(0, 0x20, 5, stage1(2, 5));
        put(0, 0x30, 7, stage1(1, 7));
        assertEquals(1, cache.invalidate(new InvalidationScope.DomainConfig(0, 1, 7)));
        assertNull(cache.lookup(0, 0x30, 7));
        assertEquals(1, cache.invalidate(new InvalidationScope.DomainConfig(0, 1, InvalidationScope.ANY)));
        assertNull(cache.lookup(0, 0x10, 5));
        assertTrue(cache.lookup(0, 0x20, 5) != null);
    }

    @Test
    void unitConfigDropsEveryConfigurationOfThatUnitOnly() {
        for (int sid = 0; sid < 20; sid++) {
            put(0, sid, -1, stage1(1, -1));
            put(3, sid, 2, stage1(1, 2));
        }
        assertEquals(20, cache.invalidate(new InvalidationScope.UnitConfig(3)));
        for (int sid = 0; sid < 20; sid++) {
            assertNull(cache.lookup(3, sid, 2));
            assertTrue(cache.lookup(0, sid, -1) != null);
        }
        assertEquals(20, cache.statistics().entries());
        assertEquals(0, cache.invalidate(new InvalidationScope.AddressSpace(0, 1, InvalidationScope.ANY)),
                "TLB scopes do not touch configurations");
        assertEquals(20, cache.invalidate(new InvalidationScope.Unit(0)));
    }

    @Test
    void boundedWithEvictions() {
        ConfigCache small = new ConfigCache(8);
        for (int sid = 0; sid < 100; sid++) {
            assertTrue(small.fill(small.fillToken(), 0, sid, -1, TranslationConfig.bypass(1)));
        }
        CacheStatistics s = small.statistics();
        assertEquals(8, s.entries());
        assertEquals(92, s.evictions());
        int present = 0;
        for (int sid = 0; sid < 100; sid++) {
            if (small.lookup(0, sid, -1) != null) {
                present++;
            }
        }
        assertEquals(8, present);
    }

    @Test
    void aConfigurationDecodedBeforeAnInvalidationIsNotInstalled() {
        long token = cache.fillToken();
        cache.invalidate(new InvalidationScope.DeviceConfig(0, 0x10, InvalidationScope.ANY));
        assertFalse(cache.fill(token, 0, 0x10, -1, TranslationConfig.bypass(1)));
        assertNull(cache.lookup(0, 0x10, -1));
        assertEquals(1, cache.statistics().rejectedFills());
    }

    @Test
    void anEntryKeepsItsIotlbHandleWhenItsChainIsRewritten() {
        Iotlb iotlb = new Iotlb(64);
        for (int sid = 0; sid < 40; sid++) {
            IotlbHandle h = iotlb.handle(0, sid, 5, IotlbKind.STAGE1);
            assertTrue(cache.fill(cache.fillToken(), 0, sid, 5, stage1(sid, 5), h));
        }
        // Removing every other entry copies the surviving nodes of shared chains.
        for (int sid = 0; sid < 40; sid += 2) {
            assertEquals(1, cache.invalidate(new InvalidationScope.DeviceConfig(0, sid, 5)));
        }
        for (int sid = 1; sid < 40; sid += 2) {
            ConfigCache.Entry e = cache.lookupEntry(0, sid, 5);
            assertEquals(sid, e.config().domainTag());
            assertSame(iotlb.handle(0, sid, 5, IotlbKind.STAGE1), e.iotlbHandle());
        }
        assertNull(cache.lookupEntry(0, 0, 5));
        put(0, 0x100, -1, TranslationConfig.bypass(1));
        assertNull(cache.lookupEntry(0, 0x100, -1).iotlbHandle(), "filled without a handle");
    }

    @Test
    void aHandleOfOtherTagsIsRefusedAndNothingIsInstalled() {
        Iotlb iotlb = new Iotlb(64);
        IotlbHandle h = iotlb.handle(0, 1, 5, IotlbKind.STAGE1);
        long token = cache.fillToken();
        assertThrows(IllegalArgumentException.class, () -> cache.fill(token, 0, 0x10, 5, stage1(2, 5), h));
        assertThrows(IllegalArgumentException.class, () -> cache.fill(token, 1, 0x10, 5, stage1(1, 5), h));
        assertThrows(IllegalArgumentException.class, () -> cache.fill(token, 0, 0x10, 5, stage1(1, 6), h));
        assertThrows(IllegalArgumentException.class, () -> cache.fill(token, 0, 0x10, 5, TranslationConfig.bypass(1), h));
        assertThrows(IllegalArgumentException.class, () -> cache.fill(token, 0, 0x10, 5, TranslationConfig.abort(), h));
        assertNull(cache.lookupEntry(0, 0x10, 5));
        assertEquals(0, cache.statistics().entries());
        assertTrue(cache.fill(token, 0, 0x10, 5, stage1(1, 5), h));
        assertSame(h, cache.lookupEntry(0, 0x10, 5).iotlbHandle());
    }
}
