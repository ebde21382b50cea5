package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.RegisterField;
import io.nestor.driver.smmuv3.hw.Smmuv3Ste;

/**
 * Composes the eight 64-bit words of an STE the way Linux builds them
 * ({@code arm_smmu_make_abort_ste}, {@code arm_smmu_make_s2_domain_ste},
 * {@code arm_smmu_make_nested_cd_table_ste} in arm-smmu-v3.c / arm-smmu-v3-iommufd.c; field
 * positions from arm-smmu-v3.h {@code STRTAB_STE_*} and hw-formats.md §2.2). Each constant is
 * positioned within its own word, as in {@link Smmuv3Ste}.
 *
 * <p>The stage-2 walk attributes are those io-pgtable gives a coherent SMMU: inner-shareable,
 * write-back read/write-allocate (S2SH0 = 3, S2IR0 = S2OR0 = 1); S2PTW and S2R are always set, as
 * in Linux. A dirty-tracking domain also sets S2HA and S2HD (Linux tracks dirty state only on
 * stage-1 domains; this platform's paging domains are stage 2, so the stage-2 bits do the job).
 */
final class Smmuv3SteEncoder {

    static final RegisterField S1CIR = RegisterField.bits("S1CIR", 3, 2);
    static final RegisterField S1COR = RegisterField.bits("S1COR", 5, 4);
    static final RegisterField S1CSH = RegisterField.bits("S1CSH", 7, 6);
    static final RegisterField MEV = RegisterField.bit("MEV", 19);
    static final RegisterField EATS = RegisterField.bits("EATS", 29, 28);
    static final RegisterField S2IR0 = RegisterField.bits("S2IR0", 41, 40);
    static final RegisterField S2OR0 = RegisterField.bits("S2OR0", 43, 42);
    static final RegisterField S2SH0 = RegisterField.bits("S2SH0", 45, 44);
    static final RegisterField S2PTW = RegisterField.bit("S2PTW", 54);

    static final int EATS_ABT = 0;
    static final int EATS_TRANS = 1;

    /** Guest-controlled bits of a nested STE's words 0 and 1 (Linux {@code STRTAB_STE_0/1_NESTING_ALLOWED}). */
    static final long NESTING_ALLOWED_0 = Smmuv3Ste.V.mask() | Smmuv3Ste.CONFIG.mask() | Smmuv3Ste.S1FMT.mask()
            | Smmuv3Ste.S1_CONTEXT_PTR.mask() | Smmuv3Ste.S1CDMAX.mask();
    static final long NESTING_ALLOWED_1 = Smmuv3Ste.S1DSS.mask() | S1CIR.mask() | S1COR.mask() | S1CSH.mask()
            | Smmuv3Ste.S1STALLD.mask() | EATS.mask();

    /** Word 0 of an aborting STE: V = 1, Config = abort; its other words are 0. */
    static final long ABORT_0 = Smmuv3Ste.V.insert(0, true) | Smmuv3Ste.CONFIG.insert(0, Smmuv3Ste.CONFIG_ABORT);

    static long[] abort() {
        long[] ste = new long[8];
        ste[0] = ABORT_0;
        return ste;
    }

    /** A stage-2 STE for a paging domain with VMID {@code vmid} and root {@code s2ttb}. */
    static long[] stage2(Smmuv3Stage2Layout layout, int vmid, long s2ttb, boolean ats) {
        long[] ste = new long[8];
        ste[0] = Smmuv3Ste.V.insert(0, true) | Smmuv3Ste.CONFIG.insert(0, Smmuv3Ste.CONFIG_S2_TRANS);
        ste[1] = EATS.insert(0, ats ? EATS_TRANS : EATS_ABT);
        long w2 = Smmuv3Ste.S2VMID.insert(0, vmid);
        w2 = Smmuv3Ste.S2T0SZ.insert(w2, layout.s2t0sz());
        w2 = Smmuv3Ste.S2SL0.insert(w2, layout.s2sl0());
        w2 = S2IR0.insert(w2, 1);
        w2 = S2OR0.insert(w2, 1);
        w2 = S2SH0.insert(w2, 3);
        w2 = Smmuv3Ste.S2TG.insert(w2, layout.s2tg());
        w2 = Smmuv3Ste.S2PS.insert(w2, layout.s2ps());
        w2 = Smmuv3Ste.S2AA64.insert(w2, true);
        w2 = S2PTW.insert(w2, true);
        w2 = Smmuv3Ste.S2R.insert(w2, true);
        if (layout.dirty()) {
            w2 = Smmuv3Ste.S2HA.insert(w2, true);
            w2 = Smmuv3Ste.S2HD.insert(w2, true);
        }
        ste[2] = w2;
        ste[3] = s2ttb & Smmuv3Ste.S2TTB.mask();
        return ste;
    }

    /**
     * A nested STE: the parent's stage-2 STE with Config = nested, the guest's words 0 and 1 merged
     * in (EATS already taken out of them) and MEV set, as {@code arm_smmu_make_nested_cd_table_ste}.
     */
    static long[] nested(long[] stage2, long guest0, long guest1) {
        long[] ste = stage2.clone();
        ste[0] = Smmuv3Ste.V.insert(0, true) | Smmuv3Ste.CONFIG.insert(0, Smmuv3Ste.CONFIG_NESTED)
                | (guest0 & ~Smmuv3Ste.CONFIG.mask());
        ste[1] |= guest1 | MEV.insert(0, true);
        return ste;
    }

    private Smmuv3SteEncoder() {
    }
}
