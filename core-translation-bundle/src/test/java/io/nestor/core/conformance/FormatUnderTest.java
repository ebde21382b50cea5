package io.nestor.core.conformance;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One page-table format in the configuration a driver would decode it in: the format instance, the
 * stage it translates ({@link TranslationMode#STAGE1} or {@link TranslationMode#STAGE2}) and whether
 * the hardware manages accessed / dirty flags for it (VT-d first stage always does, VT-d second
 * stage with SSADE, SMMUv3 with HA), since that decides whether a leaf without its accessed flag
 * faults. The label names the configuration in test reports.
 */
public record FormatUnderTest(String label, TranslationMode mode, PageTableFormat format,
        boolean hardwareAccessedDirty) {
    /** The domain tag (DID / VMID) of the configurations built here. */
    public static final int DOMAIN_TAG = 1;
    /** The address-space tag (PASID / ASID) of stage-1 configurations built here. */
    public static final int ADDRESS_SPACE_TAG = 5;

    public FormatUnderTest {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(format, "format");
        if (mode != TranslationMode.STAGE1 && mode != TranslationMode.STAGE2) {
            throw new IllegalArgumentException("a single format is walked as STAGE1 or STAGE2, not " + mode);
        }
    }

    /** The configuration that walks this format alone from {@code root}. */
    public TranslationConfig config(long root) {
        StageConfig stage = new StageConfig(format, root, hardwareAccessedDirty);
        return mode == TranslationMode.STAGE1
                ? new TranslationConfig(mode, stage, null, DOMAIN_TAG, ADDRESS_SPACE_TAG)
                : new TranslationConfig(mode, null, stage, DOMAIN_TAG, -1);
    }

    /** The levels at which the format allows a leaf, lowest (the granule) first. */
    public List<Integer> leafLevels() {
        List<Integer> levels = new ArrayList<>();
        for (int level = 0; level < format.levels(); level++) {
            if (format.leafAllowed(level)) {
                levels.add(level);
            }
        }
        return levels;
    }

    @Override
    public String toString() {
        return label;
    }
}
