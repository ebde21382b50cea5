package io.nestor.core.translate;

import static io.nestor.core.testformat.TestPageTableFormat.A;
import static io.nestor.core.testformat.TestPageTableFormat.D;
import static io.nestor.core.testformat.TestPageTableFormat.R;
import static io.nestor.core.testformat.TestPageTableFormat.W;
import static io.nestor.core.translate.NestedPlatformFixture.GUEST_RAM;
import static io.nestor.core.translate.NestedPlatformFixture.PASID;
import static io.nestor.core.translate.NestedPlatformFixture.S1_ROOT;
import static io.nestor.core.translate.NestedPlatformFixture.SID;
import static io.nestor.core.translate.NestedPlatformFixture.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.core.cache.ConfigCache;
import io.nestor.core.cache.IotlbKind;
import org.junit.jupiter.api.Test;

/** The engine's path: IOTLB hit after a miss, configuration faults and caching, walk caches, dirty state. */
class TranslationEngineTest {
    private static final long IOVA = 0x12_3456_7000L;
    private static final long DATA_IPA = 0x80_0000;

    private final NestedPlatformFixture p = new NestedPlatformFixture();
    private final TranslationResult r = new TranslationResult();

    private boolean translate(long iova, int access) {
        return p.engine.translate(UNIT, SID, PASID, iova, access, r);
    }

    @Test
    void aMissWalksColdAndTheRepeatHitsTheIotlbWithNoRead() {
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | W | A | D);
        p.engine.setWalkCacheEnabled(false);
        assertTrue(translate(IOVA + 0x123, Access.READ), r.toString());
        assertEquals(TranslationSource.WALK, r.source());
        assertEquals(24, r.memoryReads(), "4-level over 4-level, no walk cache: (4+1)(4+1)-1 reads");
        assertEquals(GUEST_RAM + DATA_IPA + 0x123, r.outputAddress());

        assertTrue(translate(IOVA + 0x456, Access.READ | Access.WRITE), r.toString());
        assertEquals(TranslationSource.IOTLB, r.source());
        assertEquals(0, r.memoryReads());
        assertEquals(GUEST_RAM + DATA_IPA + 0x456, r.outputAddress());
        assertEquals(12, r.pageShift());
        assertEquals(Permission.READ | Permission.WRITE, r.permissions() & (Permission.READ | Permission.WRITE));
        assertEquals(1, p.decodes.get(), "the configuration was decoded once and then cached");
        assertEquals(1, p.caches.iotlb().statistics().hits());
    }

    @Test
    void warmWalkCachesReadTwoDescriptorsInsteadOfTwentyFour() {
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | A);
        p.mapStage1(S1_ROOT, IOVA + 0x1000, DATA_IPA + 0x1000, R | A);
        assertTrue(translate(IOVA, Access.READ));
        // Even the first walk profits: the guest's four tables share one stage-2 last-level table,
        // so after the stage-2 walk of the root (4 reads) each table fetch costs one stage-2 read;
        // the output IPA's stage-2 walk starts at the cached level-1 table (2 reads).
        assertEquals(4 + 1 + 3 * (1 + 1) + 2, r.memoryReads());
        // next page: IOTLB miss, but both stages' last-level tables are cached
        assertTrue(translate(IOVA + 0x1000, Access.READ), r.toString());
        assertEquals(TranslationSource.WALK, r.source());
        assertEquals(2, r.memoryReads(), "one stage-1 leaf read plus one stage-2 leaf read");
        assertEquals(GUEST_RAM + DATA_IPA + 0x1000, r.outputAddress());

        p.engine.setWalkCacheEnabled(false);
        p.engine.invalidate(new InvalidationScope.All());
        assertTrue(translate(IOVA + 0x1000, Access.READ));
        assertEquals(24, r.memoryReads(), "with the walk caches off the same walk is cold");
    }

    @Test
    void disablingTheIotlbWalksEveryTime() {
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | A);
        p.engine.setIotlbEnabled(false);
        assertTrue(translate(IOVA, Access.READ));
        assertTrue(translate(IOVA, Access.READ));
        assertEquals(TranslationSource.WALK, r.source());
        assertEquals(2, r.memoryReads(), "warm walk caches, no IOTLB");
        assertEquals(0, p.caches.iotlb().statistics().entries());
    }

    @Test
    void aDecoderFaultIsAConfigFaultForTheRequestAndIsNotCached() {
        p.setConfig(UNIT, SID, PASID, new FaultException(Fault.config(0x0B, 0, 0)));
        assertFalse(translate(IOVA + 8, Access.WRITE));
        assertEquals(TranslationSource.CONFIG, r.source());
        Fault f = r.fault();
        assertEquals(FaultStage.CONFIG, f.stage());
        assertEquals(FaultReason.CONFIGURATION, f.reason());
        assertEquals(0x0B, f.vendorReason());
        assertEquals(IOVA + 8, f.iova(), "the driver's fault completed with the request");
        assertEquals(Access.WRITE, f.access());
        assertFalse(translate(IOVA + 8, Access.WRITE));
        assertEquals(2, p.decodes.get(), "a faulting decode is retried on the next request");
    }

    @Test
    void anAbortConfigurationFaultsEveryRequestAndIsCached() {
        p.setConfig(UNIT, SID, PASID, TranslationConfig.abort());
        assertFalse(translate(IOVA, Access.READ));
        assertEquals(FaultStage.CONFIG, r.fault().stage());
        assertFalse(translate(IOVA + 0x1000, Access.READ));
        assertEquals(1, p.decodes.get());
    }

    @Test
    void aConfigurationIsDecodedPerPasidAndAgainOnlyAfterItsInvalidation() {
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | A);
        p.setConfig(UNIT, SID, 4, p.nested(S1_ROOT, false));
        assertTrue(translate(IOVA, Access.READ));
        assertTrue(p.engine.translate(UNIT, SID, 4, IOVA, Access.READ, r));
        assertEquals(2, p.decodes.get());
        p.engine.invalidate(new InvalidationScope.DeviceConfig(UNIT, SID, 4));
        assertTrue(translate(IOVA, Access.READ));
        assertEquals(2, p.decodes.get(), "PASID 3 stays cached");
        assertTrue(p.engine.translate(UNIT, SID, 4, IOVA, Access.READ, r));
        assertEquals(3, p.decodes.get());
    }

    @Test
    void aCachedReadOnlyPageStillFaultsAWrite() {
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | A);
        assertTrue(translate(IOVA, Access.READ));
        assertFalse(translate(IOVA, Access.WRITE));
        assertEquals(TranslationSource.WALK, r.source(), "the hit did not grant it, so the tables decide");
        assertEquals(FaultStage.STAGE1, r.fault().stage());
        assertEquals(FaultReason.PERMISSION, r.fault().reason());
        assertTrue(translate(IOVA, Access.READ));
        assertEquals(TranslationSource.IOTLB, r.source());
    }

    @Test
    void theFirstWriteToACleanPageWalksAndMarksItDirtyThenHits() {
        p.setConfig(UNIT, SID, PASID, p.nested(S1_ROOT, true));
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | W | A);
        long leaf = p.entryIpa(p.stage1Table(S1_ROOT, IOVA, 0), 0, IOVA);
        assertTrue(translate(IOVA, Access.READ));
        assertEquals(0, p.guestRead(leaf) & D);
        assertTrue(translate(IOVA, Access.READ));
        assertEquals(TranslationSource.IOTLB, r.source());
        assertTrue(translate(IOVA, Access.WRITE));
        assertEquals(TranslationSource.WALK, r.source(), "the cached entry carried no write: the page was clean");
        assertEquals(D, p.guestRead(leaf) & D, "the walk marked the stage-1 leaf dirty");
        assertTrue(translate(IOVA, Access.WRITE));
        assertEquals(TranslationSource.IOTLB, r.source());
    }

    @Test
    void aStageTwoFaultIsReportedWithItsAttribution() {
        long outside = NestedPlatformFixture.RAM_SIZE + 0x1000; // IPA beyond guest RAM: unmapped in stage 2
        p.mapStage1(S1_ROOT, IOVA, outside, R | A);
        assertFalse(translate(IOVA, Access.READ));
        Fault f = r.fault();
        assertEquals(FaultStage.STAGE2, f.stage());
        assertEquals(FaultReason.TRANSLATION, f.reason());
        assertEquals(outside, f.faultAddress());
        assertFalse(f.onStage1TableFetch());
        assertEquals(0, p.caches.iotlb().statistics().entries(), "a fault is not cached");
    }

    @Test
    void theCachedConfigurationCarriesTheHandleOfItsIotlbTagsAcrossTlbInvalidations() {
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | A);
        assertTrue(translate(IOVA, Access.READ));
        ConfigCache.Entry e = p.caches.configCache().lookupEntry(UNIT, SID, PASID);
        TranslationConfig c = e.config();
        assertSame(p.caches.iotlb().handle(UNIT, c.domainTag(), c.addressSpaceTag(), IotlbKind.of(c.mode())),
                e.iotlbHandle(), "resolved when the configuration was decoded");
        assertTrue(translate(IOVA, Access.READ));
        assertEquals(TranslationSource.IOTLB, r.source());

        // A domain invalidation retires the handle's index: the kept handle finds nothing, walks, refills.
        p.engine.invalidate(new InvalidationScope.Domain(UNIT, c.domainTag()));
        assertTrue(translate(IOVA, Access.READ));
        assertEquals(TranslationSource.WALK, r.source());
        assertEquals(1, p.decodes.get(), "a TLB scope leaves the configuration cached");
        assertSame(e.iotlbHandle(), p.caches.configCache().lookupEntry(UNIT, SID, PASID).iotlbHandle());
        assertTrue(translate(IOVA, Access.READ));
        assertEquals(TranslationSource.IOTLB, r.source());

        // The unit's driver leaving drops the entry, handle included; the next request decodes again.
        p.engine.invalidate(new InvalidationScope.UnitConfig(UNIT));
        assertNull(p.caches.configCache().lookupEntry(UNIT, SID, PASID));
        assertTrue(translate(IOVA, Access.READ));
        assertEquals(2, p.decodes.get());
    }

    @Test
    void anAbortConfigurationIsCachedWithoutAHandle() {
        p.setConfig(UNIT, SID, PASID, TranslationConfig.abort());
        assertFalse(translate(IOVA, Access.READ));
        assertNull(p.caches.configCache().lookupEntry(UNIT, SID, PASID).iotlbHandle());
    }

    @Test
    void anEntryCachedWithoutAHandleStillFillsAndHitsTheIotlb() {
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | A);
        TranslationConfig c = p.nested(S1_ROOT, false);
        ConfigCache cache = p.caches.configCache();
        assertTrue(cache.fill(cache.fillToken(), UNIT, SID, PASID, c));
        assertTrue(translate(IOVA, Access.READ));
        assertEquals(TranslationSource.WALK, r.source());
        assertTrue(translate(IOVA, Access.READ));
        assertEquals(TranslationSource.IOTLB, r.source());
        assertEquals(0, p.decodes.get());
    }
}
