package io.nestor.driver.vtd.hw;

import java.util.Arrays;

/**
 * A scalable-mode PASID-table entry (VT-d spec 9.6; Nestor {@code hw-formats.md} 1.4): 64 bytes,
 * 64 per 4 KiB PASID table, indexed by PASID bits 5:0. Field positions as Linux
 * {@code drivers/iommu/intel/pasid.h} programs them ({@code pasid_set_*}):
 * <ul>
 *   <li>qword 0: P 0, FPD 1, AW 4:2, SSEE 5, PGTT 8:6, SSADE 9, reserved 11:10, SSPTPTR 63:12;</li>
 *   <li>qword 1: DID 15:0, reserved 22:16, PWSNP 23, PGSNP 24, CD 25, EMTE 26, EMT 29:27, PWT 30,
 *       PCD 31, PAT 63:32;</li>
 *   <li>qword 2: SRE 0, ERE 1, FSPM 3:2, WPE 4, NXE 5, SMEP 6, EAFE 7, reserved 11:8,
 *       FSPTPTR 63:12;</li>
 *   <li>qwords 3-7: reserved.</li>
 * </ul>
 * Instances copy the qwords they are given.
 */
public final class VtdPasidEntry {

    /** The largest PASID: PASIDs are 20 bits, a directory index (PASID[19:6]) and a table index (PASID[5:0]). */
    public static final int MAX_PASID = (1 << 20) - 1;
    public static final int SIZE = 64;
    public static final int QWORDS = 8;

    /** PGTT values (Linux {@code PASID_ENTRY_PGTT_*}). */
    public static final int PGTT_FIRST_STAGE = 1;
    public static final int PGTT_SECOND_STAGE = 2;
    public static final int PGTT_NESTED = 3;
    public static final int PGTT_PASS_THROUGH = 4;

    /** FSPM values: 4-level and 5-level first-stage paging; 2 and 3 are reserved. */
    public static final int FSPM_4_LEVEL = 0;
    public static final int FSPM_5_LEVEL = 1;

    private static final long POINTER = ~0xFFFL;

    private final long[] q;

    public VtdPasidEntry(long[] qwords) {
        if (qwords.length != QWORDS) {
            throw new IllegalArgumentException("a PASID entry has 8 qwords, got " + qwords.length);
        }
        this.q = qwords.clone();
    }

    public long qword(int index) {
        return q[index];
    }

    public boolean present() {
        return (q[0] & 1) != 0;
    }

    public boolean faultProcessingDisable() {
        return (q[0] & 2) != 0;
    }

    /** AW: second-stage width 30 + 9*AW bits, AW + 2 levels. */
    public int addressWidth() {
        return (int) ((q[0] >>> 2) & 7);
    }

    public boolean secondStageExecuteEnable() {
        return (q[0] & (1L << 5)) != 0;
    }

    public int pgtt() {
        return (int) ((q[0] >>> 6) & 7);
    }

    public boolean secondStageAccessedDirtyEnable() {
        return (q[0] & (1L << 9)) != 0;
    }

    public long secondStagePointer() {
        return q[0] & POINTER;
    }

    public int domainId() {
        return (int) (q[1] & 0xFFFF);
    }

    public boolean supervisorRequestEnable() {
        return (q[2] & 1) != 0;
    }

    public int firstStagePagingMode() {
        return (int) ((q[2] >>> 2) & 3);
    }

    public boolean writeProtectEnable() {
        return (q[2] & (1L << 4)) != 0;
    }

    public long firstStagePointer() {
        return q[2] & POINTER;
    }

    /** Bits 11:10, 86:80, 139:136 and qwords 3-7. Pointer widths are checked per PGTT by the decoder. */
    public boolean reservedBitsSet() {
        if ((q[0] & 0xC00L) != 0 || (q[1] & 0x7F_0000L) != 0 || (q[2] & 0xF00L) != 0) {
            return true;
        }
        for (int i = 3; i < QWORDS; i++) {
            if (q[i] != 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VtdPasidEntry other && Arrays.equals(q, other.q);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(q);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("VtdPasidEntry[");
        for (int i = 0; i < QWORDS; i++) {
            b.append(i == 0 ? "" : ", ").append(String.format("0x%x", q[i]));
        }
        return b.append(']').toString();
    }
}
