package io.nestor.driver.vtd.hw;

/**
 * Scalable-mode fault-reason codes (the FR field of a fault-recording register): those
 * configuration decode raises, and the walk reasons {@link VtdFaultReasonEncoder} assigns. Values and condition names from the VT-d spec, appendix "Fault Reason
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

    // ---- translation faults (walk reasons), Linux dma_remap_sm_fault_reasons 0x70-0x91 --------------

    /** SFL.1: error accessing a first-stage paging entry (other than the root). */
    public static final int SFL_ACCESS = 0x70;
    /** SFL.2: first-stage paging entry P clear. */
    public static final int SFL_NOT_PRESENT = 0x71;
    /** SFL.3: first-stage paging entry reserved bit set (an address bit at or above the width). */
    public static final int SFL_RESERVED = 0x72;
    /** SFL.4: error accessing the first-stage root (PML4 / PML5) entry: a bad FSPTPTR. */
    public static final int SFL_ROOT_ACCESS = 0x73;
    /** SFL.5: nested: a first-stage entry address (a GPA) beyond the second stage's width. */
    public static final int SFL_NESTED_ADDRESS = 0x74;
    /** SFL.6: nested: the second stage denies reading the first-stage root entry. */
    public static final int SFL_NESTED_ROOT_READ = 0x75;
    /** SFL.7: nested: the second stage denies reading a non-root first-stage entry. */
    public static final int SFL_NESTED_READ = 0x76;
    /** SFL.8: nested: the second stage denies the write that sets A/D in a first-stage entry. */
    public static final int SFL_NESTED_AD_WRITE = 0x77;
    /** SSL.1: error accessing a second-stage paging entry. */
    public static final int SSL_ACCESS = 0x78;
    /** SSL.2: read/write permission error in a second-stage paging entry (R = W = 0: not present). */
    public static final int SSL_PERMISSION = 0x79;
    /** SSL.3: second-stage paging entry reserved bit set. */
    public static final int SSL_RESERVED = 0x7A;
    /** SSL.4: invalid second-stage page-table pointer. */
    public static final int SSL_ROOT = 0x7B;
    /** SSL.5: second-stage A/D update needed while the walk is non-snooped. */
    public static final int SSL_AD = 0x7C;
    /** SGN.1: input address not canonical for the first stage. */
    public static final int SGN_NOT_CANONICAL = 0x80;
    /** SGN.2: user request to a supervisor (U/S = 0) first-stage page. */
    public static final int SGN_USER = 0x81;
    /** SGN.3: execute request denied. */
    public static final int SGN_EXECUTE = 0x82;
    /** SGN.4: input address beyond the DMA hardware maximum (the second stage's width). */
    public static final int SGN_BEYOND_MAX = 0x83;
    /** SGN.5: second-stage entry address beyond the host address width. */
    public static final int SGN_SECOND_STAGE_ADDRESS = 0x84;
    /** SGN.6: no write permission for a write / AtomicOp request. */
    public static final int SGN_NO_WRITE = 0x85;
    /** SGN.7: no read permission for a read / AtomicOp request. */
    public static final int SGN_NO_READ = 0x86;
    /** SFL.10 (0x91 in Linux's table): first-stage A/D update failed. */
    public static final int SFL_AD = 0x91;

    private VtdScalableFaultReason() {
    }
}
