package io.nestor.driver.smmuv3.hw.format;

/**
 * The shape of one VMSAv8-64 walk: granule, number of levels, index bits of the root and how many
 * root tables are concatenated. Levels use the Nestor numbering ({@code PageTableFormat}): level 0 is
 * the page level (VMSA level 3), level {@code levels - 1} the start level; VMSA level =
 * {@code 3 - level}.
 *
 * <p>Invariants: {@code 1 <= levels <= 4}; {@code 1 <= rootIndexBits <= bitsPerLevel};
 * {@code rootTableCount} is a power of two in 1..16 and greater than 1 only when
 * {@code rootIndexBits == bitsPerLevel}; {@code inputBits = shift + bitsPerLevel * (levels - 1) +
 * rootIndexBits + log2(rootTableCount)}.
 *
 * <p>Only addresses up to 48 bits are supported (no FEAT_LVA / LPA2 / TTST), so T0SZ and S2T0SZ lie
 * in 16..39 (SMMUv3 CD.T0SZ and STE.S2T0SZ without IDR3.STT; hw-formats.md §2.4 "S2T0SZ rule").
 * The bound {@code S2T0SZ >= 64 - IAS} depends on the SMMU's IAS and is the driver's check.
 */
public final class VmsaGeometry {

    /** Smallest TxSZ: a 48-bit input without 52-bit VA support. */
    public static final int MIN_TSZ = 16;
    /** Largest TxSZ without small translation tables (IDR3.STT): a 25-bit input. */
    public static final int MAX_TSZ = 39;
    /** At most 16 concatenated stage-2 start-level tables (4 extra input bits). */
    public static final int MAX_CONCATENATED_TABLES = 16;

    private final VmsaGranule granule;
    private final int inputBits;
    private final int levels;
    private final int rootIndexBits;
    private final int rootTableCount;

    private VmsaGeometry(VmsaGranule granule, int inputBits, int levels, int rootIndexBits, int rootTableCount) {
        this.granule = granule;
        this.inputBits = inputBits;
        this.levels = levels;
        this.rootIndexBits = rootIndexBits;
        this.rootTableCount = rootTableCount;
    }

    /**
     * Stage-1 geometry from CD.TG0 and CD.T0SZ. The start level is the lowest that resolves the
     * whole input: VMSA start level = 4 - floor((inputsize - 4) / stride) (Arm ARM, hw-formats.md
     * §2.4 "Stage-1 start level"), so the root table may be partly used but never concatenated.
     *
     * @throws IllegalArgumentException when T0SZ is outside 16..39
     */
    public static VmsaGeometry stage1(VmsaGranule granule, int t0sz) {
        checkTsz("T0SZ", t0sz);
        int inputBits = 64 - t0sz;
        int stride = granule.bitsPerLevel();
        int startVmsaLevel = 4 - (inputBits - 4) / stride;
        int levels = 4 - startVmsaLevel;
        int rootBits = inputBits - granule.shift() - stride * (levels - 1);
        return new VmsaGeometry(granule, inputBits, levels, rootBits, 1);
    }

    /**
     * Stage-2 geometry from STE.S2TG, STE.S2T0SZ and STE.S2SL0. SL0 names the start level directly
     * (without FEAT_TTST; QEMU hw/arm/smmu-internal.h {@code get_start_level}): 4 KiB: SL0 0/1/2 = VMSA level 2/1/0; 16 KiB and 64 KiB: SL0 0/1/2 = VMSA
     * level 3/2/1 (hw-formats.md §2.4 "Stage-2 start level"). The start level must resolve at least
     * one input bit and at most a full table plus 4 bits; those up to 4 extra top bits select one
     * of up to 16 concatenated start-level tables (Arm ARM S2InconsistentSL; hw-formats.md §2.4
     * "Concatenation"; Linux arch/arm64/include/asm/stage2_pgtable.h).
     *
     * @throws IllegalArgumentException when S2T0SZ is outside 16..39, SL0 is reserved (3), or the
     *         start level is inconsistent with the input size
     */
    public static VmsaGeometry stage2(VmsaGranule granule, int s2t0sz, int sl0) {
        checkTsz("S2T0SZ", s2t0sz);
        if (sl0 < 0 || sl0 > 2) {
            throw new IllegalArgumentException("S2SL0 " + sl0 + " is reserved (only 0, 1, 2 without TTST)");
        }
        int startVmsaLevel = granule == VmsaGranule.GRANULE_4K ? 2 - sl0 : 3 - sl0;
        int levels = 4 - startVmsaLevel;
        int stride = granule.bitsPerLevel();
        int inputBits = 64 - s2t0sz;
        int startBits = inputBits - granule.shift() - stride * (levels - 1);
        if (startBits < 1 || startBits > stride + 4) {
            throw new IllegalArgumentException("S2SL0 " + sl0 + " (start level " + startVmsaLevel + ") is inconsistent with S2T0SZ "
                    + s2t0sz + " for a " + (1 << granule.shift() >> 10) + " KiB granule: the start level would resolve "
                    + startBits + " bits, allowed 1.." + (stride + 4));
        }
        if (startBits <= stride) {
            return new VmsaGeometry(granule, inputBits, levels, startBits, 1);
        }
        return new VmsaGeometry(granule, inputBits, levels, stride, 1 << (startBits - stride));
    }

    private static void checkTsz(String field, int tsz) {
        if (tsz < MIN_TSZ || tsz > MAX_TSZ) {
            throw new IllegalArgumentException(field + " " + tsz + " is outside " + MIN_TSZ + ".." + MAX_TSZ);
        }
    }

    public VmsaGranule granule() {
        return granule;
    }

    /** Input address width: 64 - TxSZ. */
    public int inputBits() {
        return inputBits;
    }

    public int levels() {
        return levels;
    }

    /** Index bits of one root table (without the concatenation bits). */
    public int rootIndexBits() {
        return rootIndexBits;
    }

    public int rootTableCount() {
        return rootTableCount;
    }

    /** Index bits at {@code level} (Nestor numbering). */
    public int indexBits(int level) {
        return level == levels - 1 ? rootIndexBits : granule.bitsPerLevel();
    }

    /** The lowest input bit indexed at {@code level}: log2 of a leaf's size there. */
    public int levelShift(int level) {
        return granule.shift() + granule.bitsPerLevel() * level;
    }

    /** Whether a page or block may be formed at {@code level} (Nestor numbering). */
    public boolean leafAllowed(int level) {
        return level >= 0 && level < levels && granule.leafAllowedAtVmsaLevel(3 - level);
    }

    /** VMSA start level (0..3) of the walk. */
    public int startVmsaLevel() {
        return 4 - levels;
    }

    @Override
    public String toString() {
        return (1 << granule.shift() >> 10) + "K/" + inputBits + "-bit/" + levels + "-level"
                + (rootTableCount > 1 ? "/x" + rootTableCount : "");
    }
}
