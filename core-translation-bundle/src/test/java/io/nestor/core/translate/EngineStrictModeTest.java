package io.nestor.core.translate;

import static io.nestor.core.testformat.TestPageTableFormat.A;
import static io.nestor.core.testformat.TestPageTableFormat.R;
import static io.nestor.core.testformat.TestPageTableFormat.V;
import static io.nestor.core.testformat.TestPageTableFormat.W;
import static io.nestor.core.translate.NestedPlatformFixture.DID;
import static io.nestor.core.translate.NestedPlatformFixture.GUEST_RAM;
import static io.nestor.core.translate.NestedPlatformFixture.PASID;
import static io.nestor.core.translate.NestedPlatformFixture.S1_ROOT;
import static io.nestor.core.translate.NestedPlatformFixture.SID;
import static io.nestor.core.translate.NestedPlatformFixture.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.translation.Access;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.core.cache.IotlbEntry;
import io.nestor.core.cache.IotlbKind;
import io.nestor.core.cache.StaleTranslation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Strict mode through the engine: a missing invalidation is diagnosed, a correct one is not. */
class EngineStrictModeTest {
    private static final long IOVA = 0x40_0000_0000L;
    private static final long DATA_IPA = 0x80_0000;
    private static final long NEW_DATA_IPA = 0x90_0000;

    private final NestedPlatformFixture p = new NestedPlatformFixture();
    private final TranslationResult r = new TranslationResult();
    private final List<StaleTranslation> reported = new ArrayList<>();

    private long translate() {
        assertTrue(p.engine.translate(UNIT, SID, PASID, IOVA, Access.READ, r), r.toString());
        return r.outputAddress();
    }

    private void remapLeaf() {
        long l0 = p.stage1Table(S1_ROOT, IOVA, 0);
        p.guestWrite(p.entryIpa(l0, 0, IOVA), NEW_DATA_IPA | V | R | W | A);
    }

    private void startStrict() {
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | W | A);
        p.caches.iotlb().staleTranslationListener(reported::add);
        p.engine.setStrict(true);
        assertTrue(p.engine.isStrict());
        assertEquals(GUEST_RAM + DATA_IPA, translate());
        assertEquals(GUEST_RAM + DATA_IPA, translate());
        assertEquals(TranslationSource.IOTLB, r.source());
        assertTrue(reported.isEmpty(), "an unchanged mapping re-walks to the same entry: " + reported);
    }

    @Test
    void aMissingInvalidationIsReportedAsAStaleTranslation() {
        startStrict();
        remapLeaf();
        assertEquals(GUEST_RAM + DATA_IPA, translate(), "the stale hit is still served, as hardware would");
        assertEquals(1, p.caches.iotlb().staleTranslationCount());
        StaleTranslation s = reported.get(0);
        assertEquals(UNIT, s.unit());
        assertEquals(DID, s.domainTag());
        assertEquals(PASID, s.addressSpaceTag());
        assertEquals(IotlbKind.NESTED, s.kind());
        assertEquals(IOVA, s.iova());
        assertEquals(GUEST_RAM + DATA_IPA, IotlbEntry.pageBase(s.cached()));
        assertEquals(GUEST_RAM + NEW_DATA_IPA, IotlbEntry.pageBase(s.fresh()));
    }

    @Test
    void aCorrectInvalidationIsNotReported() {
        startStrict();
        remapLeaf();
        p.engine.invalidate(new InvalidationScope.AddressSpaceRange(UNIT, DID, PASID, IOVA, 0x1000, true));
        assertEquals(GUEST_RAM + NEW_DATA_IPA, translate());
        assertEquals(GUEST_RAM + NEW_DATA_IPA, translate());
        assertEquals(TranslationSource.IOTLB, r.source());
        assertEquals(0, p.caches.iotlb().staleTranslationCount(), reported.toString());
    }

    @Test
    void anUnmappedPageWithoutInvalidationIsReportedWithAFaultingFreshWalk() {
        startStrict();
        long l0 = p.stage1Table(S1_ROOT, IOVA, 0);
        p.guestWrite(p.entryIpa(l0, 0, IOVA), 0);
        translate();
        assertEquals(1, reported.size());
        assertEquals(IotlbEntry.MISS, reported.get(0).fresh());
    }

    @Test
    void strictModeOffDiagnosesNothing() {
        startStrict();
        p.engine.setStrict(false);
        remapLeaf();
        assertEquals(GUEST_RAM + DATA_IPA, translate());
        assertEquals(0, p.caches.iotlb().staleTranslationCount());
    }

    @Test
    void aCleanPageCachedWithoutWriteIsNotReportedAfterItsFirstWrite() {
        p.setConfig(UNIT, SID, PASID, p.nested(S1_ROOT, true));
        startStrict();
        assertTrue(p.engine.translate(UNIT, SID, PASID, IOVA, Access.WRITE, r));
        assertTrue(p.engine.translate(UNIT, SID, PASID, IOVA, Access.WRITE, r));
        assertEquals(TranslationSource.IOTLB, r.source());
        assertEquals(0, p.caches.iotlb().staleTranslationCount(), reported.toString());
    }
}
