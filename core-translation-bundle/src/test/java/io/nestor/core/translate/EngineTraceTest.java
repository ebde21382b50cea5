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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The debug translation the shell's {@code nestor:translate} shows. */
class EngineTraceTest {
    private static final long IOVA = 0x12_3456_7000L;
    private static final long DATA_IPA = 0x80_0000;

    private final NestedPlatformFixture p = new NestedPlatformFixture();

    @Test
    void aNestedTraceShowsEveryDescriptorOfBothStagesInWalkOrder() {
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | W | A | D);
        TranslationTrace t = p.engine.trace(UNIT, SID, PASID, IOVA + 0x10, Access.READ);

        assertNull(t.fault());
        assertEquals(GUEST_RAM + DATA_IPA + 0x10, t.translation().outputAddress());
        List<WalkStep> steps = t.steps();
        assertEquals(24, steps.size(), "(4+1)(4+1)-1 descriptors for 4-level over 4-level");
        // Each stage-1 level is preceded by the four stage-2 reads that translate its table address.
        for (int s1 = 0; s1 < 4; s1++) {
            for (int i = 0; i < 4; i++) {
                WalkStep s2 = steps.get(s1 * 5 + i);
                assertEquals(FaultStage.STAGE2, s2.stage());
                assertTrue(s2.stage1TableFetch());
                assertEquals(3 - i, s2.level());
            }
            WalkStep s1Step = steps.get(s1 * 5 + 4);
            assertEquals(FaultStage.STAGE1, s1Step.stage());
            assertEquals(3 - s1, s1Step.level());
            assertEquals(GUEST_RAM + s1Step.descriptorAddress(), s1Step.hostAddress(),
                    "a stage-1 descriptor's IPA is translated by the identity-plus-offset stage 2");
            assertEquals(p.guestRead(s1Step.descriptorAddress()), s1Step.descriptor());
        }
        WalkStep last = steps.get(23);
        assertEquals(FaultStage.STAGE2, last.stage());
        assertFalse(last.stage1TableFetch(), "the final IPA's walk");
        assertEquals(PageTableFormat.KIND_LEAF, last.kind());
        assertNull(t.cached(), "nothing was translated through the caches yet");
    }

    @Test
    void aTraceShowsACachedTranslationThatNoLongerMatchesMemory() {
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA, R | W | A | D);
        assertTrue(p.engine.translate(UNIT, SID, PASID, IOVA, Access.READ, new TranslationResult()));
        // The guest remaps the page and forgets to invalidate.
        p.mapStage1(S1_ROOT, IOVA, DATA_IPA + 0x1000, R | W | A | D);

        TranslationTrace t = p.engine.trace(UNIT, SID, PASID, IOVA, Access.READ);
        assertEquals(GUEST_RAM + DATA_IPA + 0x1000, t.translation().outputAddress());
        assertNotNull(t.cached());
        assertEquals(GUEST_RAM + DATA_IPA, t.cached().outputAddress());
        assertTrue(t.toString().contains("missing invalidation"), t.toString());
    }

    @Test
    void aFaultingTraceEndsAtTheInvalidDescriptor() {
        TranslationTrace t = p.engine.trace(UNIT, SID, PASID, IOVA, Access.WRITE);
        assertNotNull(t.fault());
        assertEquals(FaultReason.TRANSLATION, t.fault().reason());
        WalkStep last = t.steps().get(t.steps().size() - 1);
        assertEquals(FaultStage.STAGE1, last.stage());
        assertEquals(PageTableFormat.KIND_INVALID, last.kind());
        assertTrue(t.toString().contains("invalid"), t.toString());
    }
}
