package io.nestor.conformance;

import io.nestor.core.conformance.FormatUnderTest;
import io.nestor.core.conformance.MapUnmapModelCheck;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The core's randomized map / unmap / translate check ({@link MapUnmapModelCheck}: builder, walker
 * and engine against a reference map, with range invalidation after each unmap and a table-leak
 * check) for every page size of every real format configuration in {@link RealFormats}.
 */
class RealFormatModelTest {

    static Stream<Arguments> formatsAndPageSizes() {
        return RealFormats.all().stream()
                .flatMap(f -> f.leafLevels().stream().map(level -> Arguments.of(f, level,
                        1L << f.format().levelShift(level) >> 10)));
    }

    @ParameterizedTest(name = "{0}: {2} KiB pages (level {1})")
    @MethodSource("formatsAndPageSizes")
    void randomMapUnmapMatchesTheReference(FormatUnderTest format, int leafLevel, long pageKib) {
        MapUnmapModelCheck.run(format, leafLevel, 0x5EED_0000L + 31L * format.label().hashCode() + leafLevel);
    }
}
