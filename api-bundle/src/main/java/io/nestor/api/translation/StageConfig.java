package io.nestor.api.translation;

import io.nestor.api.pagetable.PageTableFormat;
import java.util.Objects;

/**
 * One stage of a decoded configuration: its format instance and the address of its root table
 * (a guest physical address for stage 1 of a nested configuration, host physical otherwise).
 *
 * @param format the configured format
 * @param rootAddress the root table's address; concatenated roots follow it contiguously
 * @param hardwareAccessedDirty whether the hardware updates accessed / dirty flags in this stage's
 *     descriptors (VT-d SLADE / first-stage A/D, SMMU HA / HD)
 */
public record StageConfig(PageTableFormat format, long rootAddress, boolean hardwareAccessedDirty) {
    public StageConfig {
        Objects.requireNonNull(format, "format");
    }
}
