package io.nestor.driver.smmuv3.hw.format;

/**
 * The three VMSAv8-64 translation granules (CD.TG0 / STE.S2TG). A table is one granule of 8-byte
 * descriptors, so each level resolves {@code shift - 3} bits (9, 11 or 13).
 *
 * <p>Blocks (hw-formats.md §2.4 "Granules", Linux io-pgtable-arm.c {@code ARM_LPAE_BLOCK_SIZE}
 * limits): 4 KiB allows 1 GiB blocks at VMSA level 1 and 2 MiB at level 2; 16 KiB allows 32 MiB at
 * level 2; 64 KiB allows 512 MiB at level 2. The 64 GiB (16 KiB, level 1) and 4 TiB (64 KiB,
 * level 1) blocks exist only with 52-bit addresses (FEAT_LPA / LPA2), which this SMMU does not
 * implement, so a block descriptor there is invalid.
 */
public enum VmsaGranule {
    GRANULE_4K(12, 0),
    GRANULE_16K(14, 2),
    GRANULE_64K(16, 1);

    private final int shift;
    private final int tg;

    VmsaGranule(int shift, int tg) {
        this.shift = shift;
        this.tg = tg;
    }

    /**
     * The granule a TG0 / S2TG field names (TCR_ELx.TG0 order: 0 = 4 KiB, 1 = 64 KiB, 2 = 16 KiB),
     * or {@code null} for the reserved 3.
     */
    public static VmsaGranule ofTg(int tg) {
        switch (tg) {
            case 0:
                return GRANULE_4K;
            case 1:
                return GRANULE_64K;
            case 2:
                return GRANULE_16K;
            default:
                return null;
        }
    }

    /** This granule's TG0 / S2TG encoding. */
    public int tg() {
        return tg;
    }

    /** log2 of the granule size. */
    public int shift() {
        return shift;
    }

    /** Index bits resolved per level: the granule holds {@code 2^(shift-3)} descriptors. */
    public int bitsPerLevel() {
        return shift - 3;
    }

    /**
     * Whether a block or page may sit at VMSA level {@code vmsaLevel} (0..3, 3 being the page level),
     * without 52-bit addressing.
     */
    public boolean leafAllowedAtVmsaLevel(int vmsaLevel) {
        switch (vmsaLevel) {
            case 3:
            case 2:
                return true;
            case 1:
                return this == GRANULE_4K;
            default:
                return false;
        }
    }
}
