package io.nestor.driver.vtd.hw;

/**
 * Scalable-mode fault-reason codes (the FR field of a fault-recording register) that configuration
 * decode can raise. Values and condition names from the VT-d spec, appendix "Fault Reason
 * Encodings" (RTA.x, SRT.x, SCT.x, SPD.x, SPT.x), as listed by Linux
 * {@code drivers/iommu/intel/dmar.c} {@code irq_remap_fault_reasons}/{@code dma_remap_sm_fault_reasons}
 * and QEMU {@code hw/i386/intel_iommu_internal.h} {@code VTD_FR_*}; Nestor {@code hw-formats.md} 1.8.
 */
public final class VtdScalableFaultReason {

    /** RTA.1: invalid root-table address / translation-table mode. */
    public static final int RTA_INVALID_ROOT_TABLE = 0x30;
    /** RTA.2: TTM is legacy (00); QEMU {@code VTD_FR_RTADDR_INV_TTM}. */
    public static final int RTA_LEGACY_TTM = 0x31;
    /** SRT.1: error accessing the root entry (address beyond memory). */
    public static final int SRT_ACCESS = 0x38;
    /** SRT.2: root entry LP / UP clear. */
    public static final int SRT_NOT_PRESENT = 0x39;
    /** SRT.3: root entry reserved bit set. */
    public static final int SRT_RESERVED = 0x3A;
    /** SCT.1: error accessing the context entry. */
    public static final int SCT_ACCESS = 0x40;
    /** SCT.2: context entry P clear. */
    public static final int SCT_NOT_PRESENT = 0x41;
    /** SCT.3: context entry reserved bit set. */
    public static final int SCT_RESERVED = 0x42;
    /** SCT.6: request with PASID but the context entry's PASIDE is clear. */
    public static final int SCT_PASID_DISABLED = 0x45;
    /** SCT.7: PASID beyond the PDTS-sized PASID directory. */
    public static final int SCT_PASID_BEYOND_DIRECTORY = 0x46;
    /** SCT.9: RID_PASID field error (here: RID_PASID beyond the PDTS-sized directory). */
    public static final int SCT_RID_PASID = 0x48;
    /** SPD.1: error accessing the PASID-directory entry. */
    public static final int SPD_ACCESS = 0x50;
    /** SPD.2: PASID-directory entry P clear. */
    public static final int SPD_NOT_PRESENT = 0x51;
    /** SPD.3: PASID-directory entry reserved bit set. */
    public static final int SPD_RESERVED = 0x52;
    /** SPT.1: error accessing the PASID-table entry. */
    public static final int SPT_ACCESS = 0x58;
    /** SPT.2: PASID-table entry P clear. */
    public static final int SPT_NOT_PRESENT = 0x59;
    /** SPT.3: PASID-table entry reserved bit set. */
    public static final int SPT_RESERVED = 0x5A;
    /** SPT.4: invalid PASID-table entry (PGTT, AW, FSPM or a type the unit does not support). */
    public static final int SPT_INVALID = 0x5B;

    private VtdScalableFaultReason() {
    }
}
