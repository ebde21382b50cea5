package io.nestor.driver.vtd.hw;

/**
 * A scalable-mode context entry (VT-d spec 9.4; Nestor {@code hw-formats.md} 1.3): 32 bytes,
 * 128 per 4 KiB context table, indexed by devfn bits 6:0.
 *
 * <p>Qword 0: P 0, FPD 1, DTE 2, PASIDE 3, PRE 4, reserved 8:5, PDTS 11:9, PASIDDIRPTR 63:12.
 * Qword 1: RID_PASID 83:64, RID_PRIV 84, reserved 127:85. Qwords 2 and 3 are reserved
 * (QEMU {@code VTD_SM_CONTEXT_ENTRY_RSVD_VAL*}; Linux {@code context_set_sm_*} in
 * {@code drivers/iommu/intel/iommu.h}).
 */
public record VtdContextEntry(long q0, long q1, long q2, long q3) {

    /** Size of one scalable-mode context entry in bytes. */
    public static final int SIZE = 32;

    private static final long RESERVED_Q0 = 0x1E0L;          // bits 8:5
    private static final long RESERVED_Q1 = ~((1L << 21) - 1); // bits 127:85
    private static final long RID_PRIV = 1L << 20;           // bit 84

    public boolean present() {
        return (q0 & 1) != 0;
    }

    public boolean faultProcessingDisable() {
        return (q0 & 2) != 0;
    }

    public boolean deviceTlbEnable() {
        return (q0 & 4) != 0;
    }

    public boolean pasidEnable() {
        return (q0 & 8) != 0;
    }

    public boolean pageRequestEnable() {
        return (q0 & 0x10) != 0;
    }

    /** PDTS: the PASID directory has 2^(PDTS+7) entries. */
    public int pasidDirectorySizeField() {
        return (int) ((q0 >>> 9) & 7);
    }

    /** Number of PASID-directory entries: 2^(PDTS+7). */
    public int pasidDirectoryEntries() {
        return 1 << (pasidDirectorySizeField() + 7);
    }

    public long pasidDirectoryPointer() {
        return q0 & ~0xFFFL;
    }

    /** RID_PASID: the PASID used for requests without one. */
    public int ridPasid() {
        return (int) (q1 & 0xFFFFF);
    }

    /**
     * Whether a reserved bit is set: bits 8:5, 127:85, qwords 2-3, PASIDDIRPTR bits at or above
     * {@code haw}, and RID_PRIV when the unit lacks ECAP.RPRIVS.
     */
    public boolean reservedBitsSet(int haw, boolean ridPrivSupported) {
        return (q0 & RESERVED_Q0) != 0
                || (pasidDirectoryPointer() & ~((1L << haw) - 1)) != 0
                || (q1 & RESERVED_Q1) != 0
                || (!ridPrivSupported && (q1 & RID_PRIV) != 0)
                || q2 != 0 || q3 != 0;
    }
}
