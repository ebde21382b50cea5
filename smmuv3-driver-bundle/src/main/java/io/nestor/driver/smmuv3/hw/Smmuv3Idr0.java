package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;

import io.nestor.api.driver.UnitFeatures;

/**
 * SMMU_IDR0 (0x00, 32 bits, read-only): which translation stages, table formats and optional
 * features the SMMU implements. Bit positions per hw-formats.md 2.1, checked against the
 * {@code IDR0_*} masks of Linux {@code arm-smmu-v3.h} ({@code IDR0_ST_LVL GENMASK(28, 27)},
 * {@code IDR0_STALL_MODEL GENMASK(25, 24)}, {@code IDR0_HTTU GENMASK(7, 6)}, ...).
 *
 * <p>Fixed properties of this implementation: stage 1 always, AArch64 tables only, coherent table
 * walks, MSIs for its own interrupts, two-level CD tables and stream tables, little-endian tables,
 * terminated transactions always abort (TERM_MODEL=1, as in QEMU).
 */
public final class Smmuv3Idr0 {

    public static final RegisterField S2P = RegisterField.bit("S2P", 0);
    public static final RegisterField S1P = RegisterField.bit("S1P", 1);
    public static final RegisterField TTF = RegisterField.bits("TTF", 3, 2);
    public static final RegisterField COHACC = RegisterField.bit("COHACC", 4);
    public static final RegisterField BTM = RegisterField.bit("BTM", 5);
    public static final RegisterField HTTU = RegisterField.bits("HTTU", 7, 6);
    public static final RegisterField DORMHINT = RegisterField.bit("DORMHINT", 8);
    public static final RegisterField HYP = RegisterField.bit("HYP", 9);
    public static final RegisterField ATS = RegisterField.bit("ATS", 10);
    public static final RegisterField NS1ATS = RegisterField.bit("NS1ATS", 11);
    public static final RegisterField ASID16 = RegisterField.bit("ASID16", 12);
    public static final RegisterField MSI = RegisterField.bit("MSI", 13);
    public static final RegisterField SEV = RegisterField.bit("SEV", 14);
    public static final RegisterField ATOS = RegisterField.bit("ATOS", 15);
    public static final RegisterField PRI = RegisterField.bit("PRI", 16);
    public static final RegisterField VMW = RegisterField.bit("VMW", 17);
    public static final RegisterField VMID16 = RegisterField.bit("VMID16", 18);
    public static final RegisterField CD2L = RegisterField.bit("CD2L", 19);
    public static final RegisterField VATOS = RegisterField.bit("VATOS", 20);
    public static final RegisterField TTENDIAN = RegisterField.bits("TTENDIAN", 22, 21);
    public static final RegisterField ATSRECERR = RegisterField.bit("ATSRECERR", 23);
    public static final RegisterField STALL_MODEL = RegisterField.bits("STALL_MODEL", 25, 24);
    public static final RegisterField TERM_MODEL = RegisterField.bit("TERM_MODEL", 26);
    public static final RegisterField ST_LEVEL = RegisterField.bits("ST_LEVEL", 28, 27);

    public static final int TTF_AARCH64 = 2;
    public static final int HTTU_ACCESS = 1;
    public static final int HTTU_ACCESS_DIRTY = 2;
    public static final int TTENDIAN_LITTLE = 2;
    /** Stall and terminate models both supported. */
    public static final int STALL_MODEL_STALL_AND_TERMINATE = 0;
    /** Terminate only: stalling is not supported. */
    public static final int STALL_MODEL_TERMINATE_ONLY = 1;
    public static final int ST_LEVEL_TWO_LEVEL = 1;

    /**
     * Composes IDR0.
     *
     * <p>S2P follows {@link UnitFeatures#nesting()}: Linux treats an SMMU as nesting-capable exactly
     * when it has both stages ({@code ARM_SMMU_FEAT_NESTING} needs TRANS_S1 and TRANS_S2), so a unit
     * configured without nesting must not announce stage 2, or the kernel would offer nesting on it.
     *
     * @throws IllegalArgumentException when the domain-ID width is neither 8 nor 16 bits, the only
     *     ASID / VMID widths SMMUv3 can report
     */
    public static int fromFeatures(UnitFeatures f) {
        if (f.domainIdBits() != 8 && f.domainIdBits() != 16) {
            throw new IllegalArgumentException("SMMUv3 ASIDs / VMIDs are 8 or 16 bits (IDR0.ASID16 / VMID16): "
                    + "domainIdBits must be 8 or 16, got " + f.domainIdBits());
        }
        long idr0 = 0;
        idr0 = S2P.insert(idr0, f.nesting());
        idr0 = S1P.insert(idr0, true);
        idr0 = TTF.insert(idr0, TTF_AARCH64);
        idr0 = COHACC.insert(idr0, true);
        idr0 = HTTU.insert(idr0, f.dirtyTracking() ? HTTU_ACCESS_DIRTY : HTTU_ACCESS);
        idr0 = ATS.insert(idr0, f.deviceTlb());
        idr0 = ASID16.insert(idr0, f.domainIdBits() == 16);
        idr0 = MSI.insert(idr0, true);
        idr0 = PRI.insert(idr0, f.pageRequests());
        idr0 = VMID16.insert(idr0, f.domainIdBits() == 16);
        idr0 = CD2L.insert(idr0, true);
        idr0 = TTENDIAN.insert(idr0, TTENDIAN_LITTLE);
        idr0 = STALL_MODEL.insert(idr0, f.stall() ? STALL_MODEL_STALL_AND_TERMINATE : STALL_MODEL_TERMINATE_ONLY);
        idr0 = TERM_MODEL.insert(idr0, true);
        idr0 = ST_LEVEL.insert(idr0, ST_LEVEL_TWO_LEVEL);
        return (int) idr0;
    }

    /** The bits a VMID has: 16 with VMID16, else 8 (an 8-bit SMMU ignores the upper byte). */
    public static int vmidMask(int idr0) {
        return get(VMID16, idr0) != 0 ? 0xFFFF : 0xFF;
    }

    /** The bits an ASID has: 16 with ASID16, else 8. */
    public static int asidMask(int idr0) {
        return get(ASID16, idr0) != 0 ? 0xFFFF : 0xFF;
    }

    /** Reads a field of an IDR0 value. */
    public static int get(RegisterField field, int idr0) {
        return (int) field.extract(Integer.toUnsignedLong(idr0));
    }

    private Smmuv3Idr0() {
    }
}
