package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.FaultException;

/**
 * The lookup of one SubstreamID's CD in the CD table an STE points at (SMMUv3 architecture
 * "Context descriptor tables"; hw-formats.md §2.3; Linux arm-smmu-v3.h {@code CTXDESC_L1_DESC_*},
 * {@code CTXDESC_SPLIT}).
 *
 * <ul>
 * <li>S1CDMax 0: a single CD at S1ContextPtr (S1Fmt is ignored).</li>
 * <li>S1Fmt 0 (linear): CD at S1ContextPtr + SSID * 64.</li>
 * <li>S1Fmt 1 / 2 (2-level): an 8-byte L1CD descriptor at S1ContextPtr + (SSID &gt;&gt; 6 / 10) * 8,
 *     V in bit 0 and L2Ptr in bits 51:12; the CD at L2Ptr + SSID[5:0 / 9:0] * 64.</li>
 * </ul>
 * An invalid L1CD gives C_BAD_SUBSTREAMID (the architecture's L1CD.V description; QEMU's
 * {@code smmu_get_cd} reads only a single CD and has no counterpart); a bus error reading the L1CD
 * is F_CD_FETCH. The caller has already checked the SSID against
 * S1CDMax and S1Fmt against IDR0.CD2L.
 */
public final class Smmuv3CdTable {

    public static final RegisterField L1_V = RegisterField.bit("V", 0);
    public static final RegisterField L1_L2PTR = RegisterField.bits("L2Ptr", 51, 12);

    /** The address of the CD for {@code ssid} (0 for a table with S1CDMax 0) in a stage-1 STE's table. */
    public static long cdAddress(PhysicalMemory memory, long contextPtr, int s1Fmt, int s1CdMax, int ssid)
            throws FaultException {
        return cdAddress(memory, Smmuv3StructureAddress.PHYSICAL, contextPtr, s1Fmt, s1CdMax, ssid);
    }

    /**
     * The address of the CD for {@code ssid}, in the address space of {@code contextPtr} (an IPA for
     * a NESTED STE): the L1CD descriptor is read at {@code where.physical(...)} of its address.
     */
    static long cdAddress(PhysicalMemory memory, Smmuv3StructureAddress where, long contextPtr, int s1Fmt,
            int s1CdMax, int ssid) throws FaultException {
        if (s1CdMax == 0 || s1Fmt == Smmuv3Ste.S1FMT_LINEAR) {
            return contextPtr + (long) ssid * Smmuv3Cd.CD_SIZE;
        }
        int leafBits = s1Fmt == Smmuv3Ste.S1FMT_4K_L2 ? 6 : 10;
        long l1 = Smmuv3ConfigFaults.read64(memory, where.physical(contextPtr + (long) (ssid >>> leafBits) * 8),
                Smmuv3EventType.F_CD_FETCH);
        if (!L1_V.isSet(l1)) {
            throw Smmuv3ConfigFaults.event(Smmuv3EventType.C_BAD_SUBSTREAMID);
        }
        return (L1_L2PTR.extract(l1) << 12) + (long) (ssid & ((1 << leafBits) - 1)) * Smmuv3Cd.CD_SIZE;
    }

    private Smmuv3CdTable() {
    }
}
