package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.FaultException;

/**
 * The stream table as SMMU_STRTAB_BASE / SMMU_STRTAB_BASE_CFG describe it, and the lookup of one
 * StreamID's STE (SMMUv3 architecture "Stream table"; hw-formats.md §2.2; Linux arm-smmu-v3.h
 * {@code STRTAB_BASE_*}, {@code STRTAB_L1_DESC_*}).
 *
 * <ul>
 * <li>Linear (FMT 0): STE at base + SID * 64, for SID &lt; 2^LOG2SIZE.</li>
 * <li>2-level (FMT 1): an 8-byte L1 descriptor at base + (SID &gt;&gt; SPLIT) * 8 holds SPAN (4:0)
 *     and L2Ptr (51:6); the L2 table holds 2^(SPAN-1) STEs indexed by SID[SPLIT-1:0]. SPAN 0 means
 *     the L2 pointer is invalid.</li>
 * </ul>
 * A SID outside the table, an invalid L1 descriptor or an L2 index beyond SPAN gives
 * C_BAD_STREAMID (the architecture; QEMU's {@code smmu_find_ste} reports C_BAD_STE for the last
 * case). LOG2SIZE is capped at IDR1.SIDSIZE and a SPAN above SPLIT + 1 (reserved) is treated as
 * SPLIT + 1. SPLIT values other than 6, 8 or 10 are reserved; they are used as written.
 */
public final class Smmuv3StreamTable {

    /** STRTAB_BASE.RA: read-allocate hint (set by the host driver, ignored here). */
    public static final RegisterField BASE_RA = RegisterField.bit("RA", 62);
    public static final RegisterField BASE_ADDR = RegisterField.bits("ADDR", 51, 6);
    public static final RegisterField CFG_LOG2SIZE = RegisterField.bits("LOG2SIZE", 5, 0);
    public static final RegisterField CFG_SPLIT = RegisterField.bits("SPLIT", 10, 6);
    public static final RegisterField CFG_FMT = RegisterField.bits("FMT", 17, 16);
    public static final RegisterField L1_SPAN = RegisterField.bits("SPAN", 4, 0);
    public static final RegisterField L1_L2PTR = RegisterField.bits("L2Ptr", 51, 6);

    public static final int FMT_LINEAR = 0;
    public static final int FMT_2LVL = 1;
    /** Bytes per STE. */
    public static final int STE_SIZE = 64;

    /**
     * The address of the STE for {@code sid}.
     *
     * @throws FaultException C_BAD_STREAMID or F_STE_FETCH
     */
    public static long steAddress(PhysicalMemory memory, long strtabBase, int strtabBaseCfg, int sidBits, int sid)
            throws FaultException {
        long cfg = Integer.toUnsignedLong(strtabBaseCfg);
        int log2size = Math.min((int) CFG_LOG2SIZE.extract(cfg), sidBits);
        long base = BASE_ADDR.extract(strtabBase) << 6;
        if (Integer.toUnsignedLong(sid) >= 1L << log2size) {
            throw Smmuv3ConfigFaults.event(Smmuv3EventType.C_BAD_STREAMID);
        }
        if (CFG_FMT.extract(cfg) != FMT_2LVL) {
            // FMT 0b00 is linear; the reserved encodings 0b10 / 0b11 are treated as linear too.
            return base + (long) sid * STE_SIZE;
        }
        int split = (int) CFG_SPLIT.extract(cfg);
        long l1 = Smmuv3ConfigFaults.read64(memory, base + ((long) (sid >>> split)) * 8, Smmuv3EventType.F_STE_FETCH);
        int span = (int) L1_SPAN.extract(l1);
        if (span == 0) {
            throw Smmuv3ConfigFaults.event(Smmuv3EventType.C_BAD_STREAMID);
        }
        span = Math.min(span, split + 1);
        int l2Index = sid & ((1 << split) - 1);
        if (l2Index >= 1 << (span - 1)) {
            throw Smmuv3ConfigFaults.event(Smmuv3EventType.C_BAD_STREAMID);
        }
        return (L1_L2PTR.extract(l1) << 6) + (long) l2Index * STE_SIZE;
    }

    private Smmuv3StreamTable() {
    }
}
