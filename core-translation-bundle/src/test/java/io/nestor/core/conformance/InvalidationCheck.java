package io.nestor.core.conformance;

import static io.nestor.core.conformance.NestedWalkFixture.GUEST_RAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.core.cache.TranslationCaches;
import io.nestor.core.translate.TranslationEngine;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.translate.TranslationSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Every {@link InvalidationScope} through a real {@link TranslationEngine} over a nested
 * configuration of any two formats: warm the caches (IOTLB, walk caches, configuration cache),
 * change what they summarise (a stage-1 leaf, a stage-1 table pointer, a stage-2 leaf, the
 * configuration), check that without an invalidation the old answer is still served (so the caches
 * are real), apply the scope, and check the answer: the new one when the scope covers the change,
 * still the old one when it does not (another unit, tag, page or PASID; a leaf-only hint after a
 * table change, except where the walker does not cache what the hint keeps), and the new one
 * after everything is invalidated.
 *
 * <p>Ranges are one page of the stage concerned: the stage-1 granule for IOVA ranges, the stage-2
 * granule for IPA ranges, so the same cases hold for 4, 16 and 64 KiB formats.
 */
public final class InvalidationCheck {
    public static final int UNIT = 0;
    public static final int SOURCE_ID = 0x10;
    private static final int DID = FormatUnderTest.DOMAIN_TAG;
    private static final int PASID = FormatUnderTest.ADDRESS_SPACE_TAG;
    /** 64 KiB aligned, so that it starts a page in every granule. */
    private static final long IOVA = 0x12_3456_0000L;
    private static final long DATA_IPA = 0x80_0000;
    private static final long NEW_DATA_IPA = 0x90_0000;
    private static final long NEW_HPA = 0x2_0000_0000L;
    private static final long OFFSET = 0x10;
    private static final long FAULT = -1;
    private static final int RWU = Permission.READ | Permission.WRITE | Permission.USER;

    /** What changes in memory or in the decoder. */
    public enum Change {
        STAGE1_LEAF, STAGE1_TABLE, STAGE2_LEAF, CONFIG_ABORT
    }

    /** One change, one scope, and whether the scope must make the change visible. */
    public record Case(Change change, InvalidationScope scope, boolean covers) {
        @Override
        public String toString() {
            return change + " then " + scope + (covers ? " (covers)" : " (misses)");
        }
    }

    private InvalidationCheck() {
    }

    /** The cases for a stage 1 with granule {@code 2^s1Shift} over a stage 2 with granule {@code 2^s2Shift}. */
    public static List<Case> cases(int s1Shift, int s2Shift) {
        long g1 = 1L << s1Shift;
        long g2 = 1L << s2Shift;
        int any = InvalidationScope.ANY;
        return List.of(
                // scopes that cover the change
                new Case(Change.STAGE1_LEAF, new InvalidationScope.All(), true),
                new Case(Change.STAGE1_LEAF, new InvalidationScope.Unit(UNIT), true),
                new Case(Change.STAGE1_LEAF, new InvalidationScope.Domain(UNIT, DID), true),
                new Case(Change.STAGE1_LEAF, new InvalidationScope.AddressSpace(UNIT, DID, PASID), true),
                new Case(Change.STAGE1_LEAF, new InvalidationScope.AddressSpace(UNIT, DID, any), true),
                new Case(Change.STAGE1_LEAF,
                        new InvalidationScope.AddressSpaceRange(UNIT, DID, PASID, IOVA, g1, true), true),
                new Case(Change.STAGE1_LEAF,
                        new InvalidationScope.AddressSpaceRange(UNIT, DID, any, IOVA + 0x800, 0x10, false), true),
                new Case(Change.STAGE1_LEAF, new InvalidationScope.Stage2Range(UNIT, DID, 0, 1L << 30, true), true),
                new Case(Change.STAGE1_TABLE,
                        new InvalidationScope.AddressSpaceRange(UNIT, DID, PASID, IOVA, g1, false), true),
                new Case(Change.STAGE1_TABLE, new InvalidationScope.AddressSpace(UNIT, DID, PASID), true),
                new Case(Change.STAGE1_TABLE, new InvalidationScope.Domain(UNIT, DID), true),
                new Case(Change.STAGE2_LEAF, new InvalidationScope.Stage2Range(UNIT, DID, DATA_IPA, g2, true), true),
                new Case(Change.STAGE2_LEAF, new InvalidationScope.Domain(UNIT, DID), true),
                new Case(Change.STAGE2_LEAF, new InvalidationScope.All(), true),
                new Case(Change.CONFIG_ABORT, new InvalidationScope.DeviceConfig(UNIT, SOURCE_ID, PASID), true),
                new Case(Change.CONFIG_ABORT, new InvalidationScope.DeviceConfig(UNIT, SOURCE_ID, any), true),
                new Case(Change.CONFIG_ABORT, new InvalidationScope.DomainConfig(UNIT, DID, PASID), true),
                new Case(Change.CONFIG_ABORT, new InvalidationScope.UnitConfig(UNIT), true),
                new Case(Change.CONFIG_ABORT, new InvalidationScope.Unit(UNIT), true),
                // scopes that miss it: the stale answer stays
                new Case(Change.STAGE1_LEAF, new InvalidationScope.Unit(UNIT + 1), false),
                new Case(Change.STAGE1_LEAF, new InvalidationScope.Domain(UNIT, DID + 1), false),
                new Case(Change.STAGE1_LEAF, new InvalidationScope.AddressSpace(UNIT, DID, PASID + 1), false),
                new Case(Change.STAGE1_LEAF,
                        new InvalidationScope.AddressSpaceRange(UNIT, DID, PASID, IOVA + g1, g1, false), false),
                new Case(Change.STAGE1_TABLE,
                        new InvalidationScope.AddressSpaceRange(UNIT, DID, PASID, IOVA, g1, true), false),
                new Case(Change.STAGE2_LEAF,
                        new InvalidationScope.Stage2Range(UNIT, DID + 1, DATA_IPA, g2, false), false),
                new Case(Change.CONFIG_ABORT, new InvalidationScope.DeviceConfig(UNIT, SOURCE_ID + 1, any), false),
                new Case(Change.CONFIG_ABORT, new InvalidationScope.DomainConfig(UNIT, DID, PASID + 1), false));
    }

    /** The cases for the granules of {@code s1} and {@code s2}. */
    public static List<Case> cases(FormatUnderTest s1, FormatUnderTest s2) {
        return cases(s1.format().granuleShift(), s2.format().granuleShift());
    }

    /** Runs one case on stage 1 {@code s1} over stage 2 {@code s2}. */
    public static void run(FormatUnderTest s1, FormatUnderTest s2, Case c) {
        NestedWalkFixture n = new NestedWalkFixture(s1, s2, 1L << s2.format().granuleShift(), 48);
        AtomicReference<TranslationConfig> config = new AtomicReference<>(n.nested());
        TranslationEngine engine = new TranslationEngine(n.memory, new TranslationCaches(1024, 256, 64),
                (unit, sourceId, pasid) -> {
                    if (unit != UNIT || sourceId != SOURCE_ID || pasid != PASID) {
                        throw new IllegalStateException("no configuration for " + sourceId + "/" + pasid);
                    }
                    return config.get();
                });
        TranslationResult r = new TranslationResult();
        long leaf = n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        long old = GUEST_RAM + DATA_IPA + OFFSET;
        assertEquals(old, translate(engine, r), "first walk");
        assertEquals(old, translate(engine, r), "hit");
        assertEquals(TranslationSource.IOTLB, r.source());

        long fresh = apply(c.change(), n, s1.format(), s2.format(), leaf, config);
        assertEquals(old, translate(engine, r), "without an invalidation the cached answer is served");

        engine.invalidate(c.scope());
        // A leaf-only hint after a table change drops the IOTLB entry but not the walk caches, which
        // still lead to the old table. A nested stage 1 with hardware A/D never starts from a walk
        // cache (the walker needs each table page's stage-2 write permission to update flags), so
        // there the re-walk finds the new table: over-invalidation, which is legal.
        boolean stage1FromRoot = s1.hardwareAccessedDirty();
        long expected = c.covers() || (c.change() == Change.STAGE1_TABLE && stage1FromRoot) ? fresh : old;
        assertEquals(expected, translate(engine, r), () -> c + " on " + s1 + " over " + s2);
        if (!c.covers()) {
            engine.invalidate(new InvalidationScope.All());
            assertEquals(fresh, translate(engine, r), "and everything invalidated yields the new answer");
        }
    }

    /** Makes the change; returns the translation of IOVA + OFFSET it calls for, or FAULT. */
    private static long apply(Change change, NestedWalkFixture n, PageTableFormat s1, PageTableFormat s2, long leaf,
            AtomicReference<TranslationConfig> config) {
        switch (change) {
            case STAGE1_LEAF:
                n.write(leaf, s1.encodeLeaf(NEW_DATA_IPA, 0, RWU));
                return GUEST_RAM + NEW_DATA_IPA + OFFSET;
            case STAGE1_TABLE: {
                long freshTable = n.newGuestTable();
                n.write(n.entryIpa(freshTable, 0, IOVA), s1.encodeLeaf(NEW_DATA_IPA, 0, RWU));
                n.write(n.descriptorIpa(IOVA, 1), s1.encodeTable(freshTable, 1));
                return GUEST_RAM + NEW_DATA_IPA + OFFSET;
            }
            case STAGE2_LEAF:
                n.remapStage2(DATA_IPA, 1L << s2.granuleShift(), NEW_HPA, Permission.READ | Permission.WRITE);
                return NEW_HPA + OFFSET;
            case CONFIG_ABORT:
                config.set(TranslationConfig.abort());
                return FAULT;
            default:
                throw new IllegalArgumentException(change.toString());
        }
    }

    private static long translate(TranslationEngine engine, TranslationResult r) {
        if (!engine.translate(UNIT, SOURCE_ID, PASID, IOVA + OFFSET, Access.READ, r)) {
            assertTrue(r.fault() != null);
            return FAULT;
        }
        return r.outputAddress();
    }
}
