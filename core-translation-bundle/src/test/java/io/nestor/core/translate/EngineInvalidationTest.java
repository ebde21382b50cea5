package io.nestor.core.translate;

import static io.nestor.core.testformat.TestPageTableFormat.A;
import static io.nestor.core.testformat.TestPageTableFormat.R;
import static io.nestor.core.testformat.TestPageTableFormat.T;
import static io.nestor.core.testformat.TestPageTableFormat.V;
import static io.nestor.core.testformat.TestPageTableFormat.W;
import static io.nestor.core.testformat.TestPageTableFormat.X;
import static io.nestor.core.translate.NestedPlatformFixture.DID;
import static io.nestor.core.translate.NestedPlatformFixture.GUEST_RAM;
import static io.nestor.core.translate.NestedPlatformFixture.PASID;
import static io.nestor.core.translate.NestedPlatformFixture.S1_ROOT;
import static io.nestor.core.translate.NestedPlatformFixture.SID;
import static io.nestor.core.translate.NestedPlatformFixture.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.TranslationConfig;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link InvalidationScope} through the engine: warm the caches, change what they summarise
 * (a stage-1 leaf, a stage-1 table pointer, a stage-2 leaf, the configuration), check that without
 * an invalidation the old answer is still served (so the caches are real), apply the scope, and
 * check the answer: the new one when the scope covers the change, still the old one when it does
 * not (a scope for another tag, page or PASID; a leaf-only hint after a table change).
 */
class EngineInvalidationTest {
    private static final long IOVA = 0x12_3456_7000L;
    private static final long DATA_IPA = 0x80_0000;
    private static final long NEW_DATA_IPA = 0x90_0000;
    private static final long NEW_HPA = 0x2_0000_0000L;
    private static final long FAULT = -1;

    /** What changes in memory or in the decoder, and the translation of IOVA + 0x10 afterwards. */
    enum Change {
        STAGE1_LEAF {
            @Override
            long apply(NestedPlatformFixture p) {
                long l0 = p.stage1Table(S1_ROOT, IOVA, 0);
                p.guestWrite(p.entryIpa(l0, 0, IOVA), NEW_DATA_IPA | V | R | W | A);
                return GUEST_RAM + NEW_DATA_IPA + 0x10;
            }
        },
        STAGE1_TABLE {
            @Override
            long apply(NestedPlatformFixture p) {
                long l1 = p.stage1Table(S1_ROOT, IOVA, 1);
                long fresh = p.newGuestTable();
                p.guestWrite(p.entryIpa(fresh, 0, IOVA), NEW_DATA_IPA | V | R | W | A);
                p.guestWrite(p.entryIpa(l1, 1, IOVA), fresh | V | T | R | W | X);
                return GUEST_RAM + NEW_DATA_IPA + 0x10;
            }
        },
        STAGE2_LEAF {
            @Override
            long apply(NestedPlatformFixture p) {
                p.stage2.unmap(DATA_IPA, 0x1000);
                p.stage2.map(DATA_IPA, NEW_HPA, 0x1000, Permission.READ | Permission.WRITE);
                return NEW_HPA + 0x10;
            }
        },
        CONFIG_ABORT {
            @Override
            long apply(NestedPlatformFixture p) {
                p.setConfig(UNIT, SID, PASID, TranslationConfig.abort());
                return FAULT;
            }
        };

        abstract long apply(NestedPlatformFixture p);
    }

    static Stream<Arguments> cases() {
        int any = InvalidationScope.ANY;
        return Stream.of(
                // scopes that cover the change
                Arguments.of(Change.STAGE1_LEAF, new InvalidationScope.All(), true),
                Arguments.of(Change.STAGE1_LEAF, new InvalidationScope.Unit(UNIT), true),
                Arguments.of(Change.STAGE1_LEAF, new InvalidationScope.Domain(UNIT, DID), true),
                Arguments.of(Change.STAGE1_LEAF, new InvalidationScope.AddressSpace(UNIT, DID, PASID), true),
                Arguments.of(Change.STAGE1_LEAF, new InvalidationScope.AddressSpace(UNIT, DID, any), true),
                Arguments.of(Change.STAGE1_LEAF,
                        new InvalidationScope.AddressSpaceRange(UNIT, DID, PASID, IOVA, 0x1000, true), true),
                Arguments.of(Change.STAGE1_LEAF,
                        new InvalidationScope.AddressSpaceRange(UNIT, DID, any, IOVA + 0x800, 0x10, false), true),
                Arguments.of(Change.STAGE1_LEAF, new InvalidationScope.Stage2Range(UNIT, DID, 0, 1L << 30, true), true),
                Arguments.of(Change.STAGE1_TABLE,
                        new InvalidationScope.AddressSpaceRange(UNIT, DID, PASID, IOVA, 0x1000, false), true),
                Arguments.of(Change.STAGE1_TABLE, new InvalidationScope.AddressSpace(UNIT, DID, PASID), true),
                Arguments.of(Change.STAGE1_TABLE, new InvalidationScope.Domain(UNIT, DID), true),
                Arguments.of(Change.STAGE2_LEAF,
                        new InvalidationScope.Stage2Range(UNIT, DID, DATA_IPA, 0x1000, true), true),
                Arguments.of(Change.STAGE2_LEAF, new InvalidationScope.Domain(UNIT, DID), true),
                Arguments.of(Change.STAGE2_LEAF, new InvalidationScope.All(), true),
                Arguments.of(Change.CONFIG_ABORT, new InvalidationScope.DeviceConfig(UNIT, SID, PASID), true),
                Arguments.of(Change.CONFIG_ABORT, new InvalidationScope.DeviceConfig(UNIT, SID, any), true),
                Arguments.of(Change.CONFIG_ABORT, new InvalidationScope.DomainConfig(UNIT, DID, PASID), true),
                Arguments.of(Change.CONFIG_ABORT, new InvalidationScope.UnitConfig(UNIT), true),
                Arguments.of(Change.CONFIG_ABORT, new InvalidationScope.Unit(UNIT), true),
                // scopes that miss it: the stale answer stays
                Arguments.of(Change.STAGE1_LEAF, new InvalidationScope.Unit(UNIT + 1), false),
                Arguments.of(Change.STAGE1_LEAF, new InvalidationScope.Domain(UNIT, DID + 1), false),
                Arguments.of(Change.STAGE1_LEAF, new InvalidationScope.AddressSpace(UNIT, DID, PASID + 1), false),
                Arguments.of(Change.STAGE1_LEAF,
                        new InvalidationScope.AddressSpaceRange(UNIT, DID, PASID, IOVA + 0x1000, 0x1000, false), false),
                Arguments.of(Change.STAGE1_TABLE,
                        new InvalidationScope.AddressSpaceRange(UNIT, DID, PASID, IOVA, 0x1000, true), false),
                Arguments.of(Change.STAGE2_LEAF,
                        new InvalidationScope.Stage2Range(UNIT, DID + 1, DATA_IPA, 0x1000, false), false),
                Arguments.of(Change.CONFIG_ABORT, new InvalidationScope.DeviceConfig(UNIT, SID + 1, any), false),
                Arguments.of(Change.CONFIG_ABORT, new InvalidationScope.DomainConfig(UNIT, DID, PASID + 1), false));
    }

    @ParameterizedTest(name = "{0} then {1}: covered={2}")
    @MethodSource("cases")
    void afterTheScopeNoTranslationReturnsTheOldResultUnlessItMissesTheChange(Change change,
            InvalidationScope scope, boolean covers) {
        NestedPlatformFixture p = new NestedPlatformFixture();
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | W | A);
        long old = GUEST_RAM + DATA_IPA + 0x10;
        assertEquals(old, translate(p), "first walk");
        assertEquals(old, translate(p), "hit");

        long fresh = change.apply(p);
        assertEquals(old, translate(p), "without an invalidation the cached answer is served");
        assertEquals(old, translate(p));

        p.engine.invalidate(scope);
        assertEquals(covers ? fresh : old, translate(p), scope.toString());
        if (!covers) {
            p.engine.invalidate(new InvalidationScope.All());
            assertEquals(fresh, translate(p), "and everything invalidated yields the new answer");
        }
    }

    private static long translate(NestedPlatformFixture p) {
        TranslationResult r = new TranslationResult();
        if (!p.engine.translate(UNIT, SID, PASID, IOVA + 0x10, Access.READ, r)) {
            assertTrue(r.fault() != null);
            return FAULT;
        }
        return r.outputAddress();
    }
}
