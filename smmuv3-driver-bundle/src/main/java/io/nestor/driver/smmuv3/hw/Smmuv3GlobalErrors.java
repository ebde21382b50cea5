package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterFile;

/**
 * SMMU_GERROR (0x60) and SMMU_GERRORN (0x64): global errors with toggle semantics (SMMUv3
 * architecture "SMMU_GERROR"; hw-formats.md §2.1; Linux {@code GERROR_*}). An error is pending while
 * its GERROR bit differs from its GERRORN bit; the SMMU raises one by toggling its GERROR bit, and
 * only when it is not already pending; software acknowledges by writing GERRORN with the bit
 * toggled to match. QEMU {@code smmuv3_trigger_irq} follows the same rule.
 */
public final class Smmuv3GlobalErrors {

    public static final int CMDQ_ERR = 1 << 0;
    public static final int EVTQ_ABT_ERR = 1 << 2;
    public static final int PRIQ_ABT_ERR = 1 << 3;
    public static final int MSI_CMDQ_ABT_ERR = 1 << 4;
    public static final int MSI_EVTQ_ABT_ERR = 1 << 5;
    public static final int MSI_PRIQ_ABT_ERR = 1 << 6;
    public static final int MSI_GERROR_ABT_ERR = 1 << 7;
    public static final int SFM_ERR = 1 << 8;
    /** Every defined error bit (Linux {@code GERROR_ERR_MASK}). */
    public static final int ALL = 0x1FD;

    /** The errors pending now. */
    public static int pending(RegisterFile regs) {
        return regs.read32(Smmuv3RegisterOffsets.GERROR) ^ regs.read32(Smmuv3RegisterOffsets.GERRORN);
    }

    /** Raises {@code errors}: toggles each GERROR bit among them that is not already pending. */
    public static void raise(RegisterFile regs, int errors) {
        int fresh = errors & ~pending(regs);
        if (fresh != 0) {
            regs.write32(Smmuv3RegisterOffsets.GERROR, regs.read32(Smmuv3RegisterOffsets.GERROR) ^ fresh);
        }
    }

    private Smmuv3GlobalErrors() {
    }
}
