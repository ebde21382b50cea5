package io.nestor.core.translate;

import io.nestor.api.translation.TranslationMode;
import io.nestor.core.conformance.FormatUnderTest;
import io.nestor.core.conformance.InvalidationCheck;
import io.nestor.core.testformat.TestPageTableFormat;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link io.nestor.api.translation.InvalidationScope} through the engine
 * ({@link InvalidationCheck}): after a change to a stage-1 leaf, a stage-1 table pointer, a
 * stage-2 leaf or the configuration, the scope either makes the change visible (it covers it) or
 * leaves the cached answer (it misses it), on the 4 KiB test format nested over itself and over the
 * 16 KiB one. The {@code format-conformance} module runs the same cases on the real formats.
 */
class EngineInvalidationTest {
    private static final FormatUnderTest S1 = new FormatUnderTest("test-4k s1", TranslationMode.STAGE1,
            TestPageTableFormat.granule4k(), false);
    private static final FormatUnderTest S2_4K = new FormatUnderTest("test-4k s2", TranslationMode.STAGE2,
            TestPageTableFormat.granule4k(), false);
    private static final FormatUnderTest S2_16K = new FormatUnderTest("test-16k s2", TranslationMode.STAGE2,
            TestPageTableFormat.granule16k(), false);

    static Stream<InvalidationCheck.Case> overFourKib() {
        return InvalidationCheck.cases(S1, S2_4K).stream();
    }

    static Stream<InvalidationCheck.Case> overSixteenKib() {
        return InvalidationCheck.cases(S1, S2_16K).stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overFourKib")
    void afterTheScopeNoTranslationReturnsTheOldResultUnlessItMissesTheChange(InvalidationCheck.Case c) {
        InvalidationCheck.run(S1, S2_4K, c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overSixteenKib")
    void theSameOverAStageTwoWithALargerGranule(InvalidationCheck.Case c) {
        InvalidationCheck.run(S1, S2_16K, c);
    }
}
