package io.nestor.core.translate;

import static io.nestor.core.testformat.TestPageTableFormat.A;
import static io.nestor.core.testformat.TestPageTableFormat.R;
import static io.nestor.core.translate.NestedPlatformFixture.DID;
import static io.nestor.core.translate.NestedPlatformFixture.GUEST_RAM;
import static io.nestor.core.translate.NestedPlatformFixture.PASID;
import static io.nestor.core.translate.NestedPlatformFixture.SID;
import static io.nestor.core.translate.NestedPlatformFixture.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import org.junit.jupiter.api.Test;

/**
 * The single-stage and pass-through modes through the engine: each is cached under the IOTLB kind of
 * its mode, so a stage-1 (PASID / ASID) invalidation leaves stage-2-only and pass-through entries in
 * place while a stage-2 or domain invalidation removes them.
 */
class EngineModesTest {
    private static final long IPA = 0x30_0000;

    private final NestedPlatformFixture p = new NestedPlatformFixture();
    private final TranslationResult r = new TranslationResult();

    private long translate(long iova) {
        assertTrue(p.engine.translate(UNIT, SID, PASID, iova, Access.READ, r), r.toString());
        return r.outputAddress();
    }

    @Test
    void aStageTwoOnlyEntryOutlivesAStageOneInvalidationButNotAStageTwoOne() {
        p.setConfig(UNIT, SID, PASID, new TranslationConfig(TranslationMode.STAGE2, null,
                new StageConfig(p.format, p.stage2.rootAddress(), false), DID, -1));
        assertEquals(GUEST_RAM + IPA + 4, translate(IPA + 4));
        assertEquals(4, r.memoryReads(), "a 4-level stage 2 alone");
        p.stage2.unmap(IPA, 0x1000);
        p.stage2.map(IPA, 0x3_0000_0000L, 0x1000, Permission.READ);
        p.engine.invalidate(new InvalidationScope.AddressSpace(UNIT, DID, InvalidationScope.ANY));
        assertEquals(GUEST_RAM + IPA + 4, translate(IPA + 4), "stage-1 invalidations keep stage-2-only entries");
        assertEquals(TranslationSource.IOTLB, r.source());
        p.engine.invalidate(new InvalidationScope.Stage2Range(UNIT, DID, IPA, 0x1000, true));
        assertEquals(0x3_0000_0000L + 4, translate(IPA + 4));
    }

    @Test
    void aStageOneOnlyConfigurationWalksHostPhysicalTables() {
        long root = 0x5000_0000L; // host physical: no stage 2
        long iova = 0x1234_5000L;
        long table = root;
        for (int level = 3; level > 0; level--) {
            long next = root + (4 - level) * 0x1000L;
            p.memory.write64(table + 8L * ((iova >>> p.format.levelShift(level)) & 511), p.format.encodeTable(next, level));
            table = next;
        }
        p.memory.write64(table + 8L * ((iova >>> 12) & 511), 0x6000_0000L | 1 | R | A);
        p.setConfig(UNIT, SID, PASID, new TranslationConfig(TranslationMode.STAGE1,
                new StageConfig(p.format, root, false), null, DID, PASID));
        assertEquals(0x6000_0000L + 0x10, translate(iova + 0x10));
        assertEquals(4, r.memoryReads());
        assertEquals(0x6000_0000L + 0x20, translate(iova + 0x20));
        assertEquals(TranslationSource.IOTLB, r.source());
        assertEquals(0x6000_0000L + 0x20, translate(iova + 0x20));
        p.engine.invalidate(new InvalidationScope.AddressSpaceRange(UNIT, DID, PASID, iova, 0x1000, true));
        translate(iova + 0x20);
        assertEquals(TranslationSource.WALK, r.source());
        assertEquals(1, r.memoryReads(), "a leaf-only range keeps the walk cache: the leaf is read again");
        p.engine.invalidate(new InvalidationScope.AddressSpace(UNIT, DID, PASID));
        translate(iova + 0x20);
        assertEquals(4, r.memoryReads(), "a whole address space drops its walk-cache entries too");
    }

    @Test
    void passThroughIsCachedAsBypassAndDroppedByADomainInvalidation() {
        p.setConfig(UNIT, SID, PASID, TranslationConfig.bypass(DID));
        assertEquals(0xABC_D123L, translate(0xABC_D123L));
        assertEquals(TranslationSource.WALK, r.source());
        assertEquals(0xABC_D456L, translate(0xABC_D456L));
        assertEquals(TranslationSource.IOTLB, r.source());
        p.engine.invalidate(new InvalidationScope.AddressSpace(UNIT, DID, InvalidationScope.ANY));
        translate(0xABC_D456L);
        assertEquals(TranslationSource.IOTLB, r.source(), "a PASID-based invalidation keeps pass-through entries");
        p.engine.invalidate(new InvalidationScope.Domain(UNIT, DID));
        translate(0xABC_D456L);
        assertEquals(TranslationSource.WALK, r.source());
    }
}
