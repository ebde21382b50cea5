package io.nestor.core.pagetable;

import io.nestor.api.translation.TranslationMode;
import io.nestor.core.conformance.FormatUnderTest;
import io.nestor.core.conformance.MapUnmapModelCheck;
import io.nestor.core.testformat.TestPageTableFormat;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based test of the builder, the walker and the engine together ({@link MapUnmapModelCheck}):
 * random maps and unmaps for every leaf size of the test formats, checked against a reference map
 * after every step, then a leak check. The {@code format-conformance} module runs the same check on
 * every real format.
 */
class PageTableBuilderModelTest {

    static Stream<Arguments> formatsAndPageSizes() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (TestPageTableFormat f : new TestPageTableFormat[] {TestPageTableFormat.granule16k(),
                TestPageTableFormat.granule4k(), TestPageTableFormat.granule64kConcatenated()}) {
            FormatUnderTest under = new FormatUnderTest(f.name(), TranslationMode.STAGE2, f, false);
            for (int level : under.leafLevels()) {
                b.add(Arguments.of(under, level));
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} leaves at level {1}")
    @MethodSource("formatsAndPageSizes")
    void randomMapUnmapMatchesTheReference(FormatUnderTest under, int leafLevel) {
        MapUnmapModelCheck.run(under, leafLevel, 31L * leafLevel + under.format().granuleShift());
    }
}
