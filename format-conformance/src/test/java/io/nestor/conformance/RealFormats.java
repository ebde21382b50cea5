package io.nestor.conformance;

import static io.nestor.api.translation.TranslationMode.STAGE1;
import static io.nestor.api.translation.TranslationMode.STAGE2;

import io.nestor.core.conformance.FormatUnderTest;
import io.nestor.driver.smmuv3.hw.format.VmsaGeometry;
import io.nestor.driver.smmuv3.hw.format.VmsaGranule;
import io.nestor.driver.smmuv3.hw.format.VmsaStage1Format;
import io.nestor.driver.smmuv3.hw.format.VmsaStage2Format;
import io.nestor.driver.vtd.hw.format.VtdFirstStageFormat;
import io.nestor.driver.vtd.hw.format.VtdSecondStageFormat;
import java.util.List;

/**
 * The real page-table format configurations the conformance tests run on, each built the way the
 * driver's hardware half decodes it (VtdConfigDecoder, Smmuv3StageDecoder): the format's
 * constructor arguments plus whether the stage manages accessed / dirty flags. Every geometry the
 * drivers can produce is represented by its shape (levels, granule, root width, concatenation);
 * the optional features (VT-d SSADE, execute control, WPE; SMMU HA / HD, HAD, XNX) are spread over
 * the configurations so each is walked at least once.
 */
final class RealFormats {
    private RealFormats() {
    }

    /** VT-d second stage, 48-bit / 4-level, 2 MiB and 1 GiB pages, no SSADE, no execute control. */
    static FormatUnderTest vtdSecondStage4Level() {
        return new FormatUnderTest("vtd-ss 4-level 48-bit", STAGE2,
                new VtdSecondStageFormat(48, 48, true, true, false, false), false);
    }

    /** VT-d second stage, 57-bit / 5-level, 52-bit HAW, with SSADE (hardware A/D) and execute control. */
    static FormatUnderTest vtdSecondStage5Level() {
        return new FormatUnderTest("vtd-ss 5-level 57-bit SSADE ERS", STAGE2,
                new VtdSecondStageFormat(57, 52, true, true, true, true), true);
    }

    /** VT-d first stage, 4-level, FL1GP, WPE; first-stage A/D updates are architectural (always on). */
    static FormatUnderTest vtdFirstStage4Level() {
        return new FormatUnderTest("vtd-fs 4-level WPE", STAGE1, new VtdFirstStageFormat(false, 48, true, true), true);
    }

    /** VT-d first stage, 5-level, FL1GP, WPE clear, 52-bit output. */
    static FormatUnderTest vtdFirstStage5Level() {
        return new FormatUnderTest("vtd-fs 5-level", STAGE1, new VtdFirstStageFormat(true, 52, true, false), true);
    }

    /** A VMSAv8-64 stage-1 format from CD.TG0 / T0SZ; {@code ha} is CD.HA, {@code hd} CD.HD. */
    static FormatUnderTest vmsaStage1(VmsaGranule granule, int t0sz, boolean ha, boolean hd, boolean had) {
        VmsaGeometry g = VmsaGeometry.stage1(granule, t0sz);
        return new FormatUnderTest("vmsa-s1 " + g + (ha ? " HA" : "") + (hd ? " HD" : "") + (had ? " HAD" : ""),
                STAGE1, new VmsaStage1Format(g, 48, hd, had), ha);
    }

    /** A VMSAv8-64 stage-2 format from STE.S2TG / S2T0SZ / S2SL0; {@code ha} is S2HA, {@code hd} S2HD. */
    static FormatUnderTest vmsaStage2(VmsaGranule granule, int s2t0sz, int sl0, boolean ha, boolean hd, boolean xnx) {
        VmsaGeometry g = VmsaGeometry.stage2(granule, s2t0sz, sl0);
        return new FormatUnderTest("vmsa-s2 " + g + (ha ? " HA" : "") + (hd ? " HD" : "") + (xnx ? " XNX" : ""),
                STAGE2, new VmsaStage2Format(g, 48, hd, xnx), ha);
    }

    /** Every configuration of the model-based test. */
    static List<FormatUnderTest> all() {
        return List.of(
                vtdSecondStage4Level(),
                vtdSecondStage5Level(),
                vtdFirstStage4Level(),
                vtdFirstStage5Level(),
                vmsaStage1(VmsaGranule.GRANULE_4K, 16, false, false, false), // 4 levels
                vmsaStage1(VmsaGranule.GRANULE_4K, 25, true, true, false), // 3 levels, 39-bit
                vmsaStage1(VmsaGranule.GRANULE_16K, 16, true, false, true), // 4 levels, 1-bit root
                vmsaStage1(VmsaGranule.GRANULE_16K, 28, false, false, false), // 2 levels
                vmsaStage1(VmsaGranule.GRANULE_64K, 16, true, true, true), // 3 levels, 6-bit root
                vmsaStage1(VmsaGranule.GRANULE_64K, 35, false, false, false), // 1 level
                vmsaStage2(VmsaGranule.GRANULE_4K, 16, 2, false, false, false), // 4 levels
                vmsaStage2(VmsaGranule.GRANULE_4K, 24, 1, true, true, true), // 3 levels, 2 concatenated roots
                vmsaStage2(VmsaGranule.GRANULE_4K, 21, 1, false, false, true), // 3 levels, 16 concatenated roots
                vmsaStage2(VmsaGranule.GRANULE_16K, 16, 2, true, false, false), // 3 levels, 2 concatenated roots
                vmsaStage2(VmsaGranule.GRANULE_16K, 24, 1, false, false, false), // 2 levels, 16 concatenated roots
                vmsaStage2(VmsaGranule.GRANULE_64K, 16, 2, false, false, true), // 3 levels, 6-bit root
                vmsaStage2(VmsaGranule.GRANULE_64K, 18, 1, true, true, false)); // 2 levels, 16 concatenated roots
    }
}
