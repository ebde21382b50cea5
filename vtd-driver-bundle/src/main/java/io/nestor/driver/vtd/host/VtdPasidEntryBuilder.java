package io.nestor.driver.vtd.host;

import io.nestor.driver.vtd.hw.VtdPasidEntry;

/**
 * Composes the eight qwords of a scalable-mode PASID-table entry as Linux's
 * {@code pasid_pte_config_*} functions do (drivers/iommu/intel/pasid.c with the {@code pasid_set_*}
 * helpers of pasid.h), the encode side of {@link VtdPasidEntry}: start from a cleared entry, set the
 * fields, PGTT and P last. FPD stays clear ({@code pasid_set_fault_enable}).
 *
 * <p>Field positions: qword 0 P 0, AW 4:2, PGTT 8:6, SSADE 9, SSPTPTR 63:12; qword 1 DID 15:0,
 * PWSNP 23 ({@code pasid_set_page_snoop}), PGSNP 24; qword 2 SRE 0, FSPM 3:2, WPE 4, EAFE 7,
 * FSPTPTR 63:12.
 */
public final class VtdPasidEntryBuilder {

    private static final long POINTER = ~0xFFFL;
    private static final long PRESENT = 1L;
    private static final long SSADE = 1L << 9;
    private static final long PWSNP = 1L << 23;
    private static final long SRE = 1L;
    private static final long WPE = 1L << 4;
    private static final long EAFE = 1L << 7;

    private final long[] q = new long[VtdPasidEntry.QWORDS];

    public VtdPasidEntryBuilder domainId(int did) {
        q[1] = (q[1] & ~0xFFFFL) | (did & 0xFFFF);
        return this;
    }

    public VtdPasidEntryBuilder addressWidth(int aw) {
        q[0] = (q[0] & ~(7L << 2)) | ((long) (aw & 7) << 2);
        return this;
    }

    public VtdPasidEntryBuilder secondStagePointer(long root) {
        q[0] = (q[0] & ~POINTER) | (root & POINTER);
        return this;
    }

    public VtdPasidEntryBuilder secondStageAccessedDirty(boolean on) {
        q[0] = on ? q[0] | SSADE : q[0] & ~SSADE;
        return this;
    }

    public VtdPasidEntryBuilder pageWalkSnoop(boolean on) {
        q[1] = on ? q[1] | PWSNP : q[1] & ~PWSNP;
        return this;
    }

    /** FSPTPTR; like {@code pasid_set_flptr}, the low 12 bits are dropped. */
    public VtdPasidEntryBuilder firstStagePointer(long root) {
        q[2] = (q[2] & ~POINTER) | (root & POINTER);
        return this;
    }

    public VtdPasidEntryBuilder fiveLevelFirstStage(boolean on) {
        q[2] = (q[2] & ~(3L << 2)) | (on ? (long) VtdPasidEntry.FSPM_5_LEVEL << 2 : 0);
        return this;
    }

    public VtdPasidEntryBuilder supervisorRequests(boolean on) {
        q[2] = on ? q[2] | SRE : q[2] & ~SRE;
        return this;
    }

    public VtdPasidEntryBuilder writeProtect(boolean on) {
        q[2] = on ? q[2] | WPE : q[2] & ~WPE;
        return this;
    }

    public VtdPasidEntryBuilder extendedAccessFlag(boolean on) {
        q[2] = on ? q[2] | EAFE : q[2] & ~EAFE;
        return this;
    }

    /** Sets PGTT and P: the last step, as {@code pasid_set_translation_type} + {@code pasid_set_present}. */
    public long[] present(int pgtt) {
        q[0] = (q[0] & ~(7L << 6)) | ((long) (pgtt & 7) << 6) | PRESENT;
        return q.clone();
    }
}
