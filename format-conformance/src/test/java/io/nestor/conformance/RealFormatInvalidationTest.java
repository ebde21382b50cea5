package io.nestor.conformance;

import static io.nestor.driver.smmuv3.hw.format.VmsaGranule.GRANULE_16K;
import static io.nestor.driver.smmuv3.hw.format.VmsaGranule.GRANULE_4K;
import static io.nestor.driver.smmuv3.hw.format.VmsaGranule.GRANULE_64K;

import io.nestor.core.conformance.FormatUnderTest;
import io.nestor.core.conformance.InvalidationCheck;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The core's invalidation cases ({@link InvalidationCheck}: every scope, after a change to a stage-1
 * leaf, a stage-1 table, a stage-2 leaf or the configuration) through the engine on real nested
 * format pairs: VT-d first stage over second stage (4 over 4 levels; 5 over 5 with SSADE) and
 * VMSAv8-64 stage 1 over stage 2 (4K over 4K; 64K with HA/HD/HAD over 16K with concatenated roots;
 * 16K over 64K with 16 concatenated roots).
 */
class RealFormatInvalidationTest {

    static List<FormatUnderTest[]> pairs() {
        return List.of(
                new FormatUnderTest[] {RealFormats.vtdFirstStage4Level(), RealFormats.vtdSecondStage4Level()},
                new FormatUnderTest[] {RealFormats.vtdFirstStage5Level(), RealFormats.vtdSecondStage5Level()},
                new FormatUnderTest[] {RealFormats.vmsaStage1(GRANULE_4K, 16, false, false, false),
                    RealFormats.vmsaStage2(GRANULE_4K, 16, 2, false, false, false)},
                new FormatUnderTest[] {RealFormats.vmsaStage1(GRANULE_64K, 16, true, true, true),
                    RealFormats.vmsaStage2(GRANULE_16K, 16, 2, true, false, false)},
                new FormatUnderTest[] {RealFormats.vmsaStage1(GRANULE_16K, 16, true, false, true),
                    RealFormats.vmsaStage2(GRANULE_64K, 18, 1, true, true, false)});
    }

    static Stream<Arguments> cases() {
        return pairs().stream().flatMap(p -> InvalidationCheck.cases(p[0], p[1]).stream()
                .map(c -> Arguments.of(p[0] + " over " + p[1], p[0], p[1], c)));
    }

    @ParameterizedTest(name = "{0}: {3}")
    @MethodSource("cases")
    void afterTheScopeNoTranslationReturnsTheOldResultUnlessItMissesTheChange(String pair, FormatUnderTest s1,
            FormatUnderTest s2, InvalidationCheck.Case c) {
        InvalidationCheck.run(s1, s2, c);
    }
}
