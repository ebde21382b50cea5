package io.nestor.itests.support;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The VT-d vendor payloads of iommufd as a VMM builds them, in the kernel's little-endian layout
 * (include/uapi/linux/iommufd.h): {@code struct iommu_hwpt_vtd_s1} for IOMMU_HWPT_ALLOC and
 * {@code struct iommu_hwpt_vtd_s1_invalidate} for IOMMU_HWPT_INVALIDATE.
 */
public final class VtdUapiStructs {
    /** enum iommu_hwpt_data_type: IOMMU_HWPT_DATA_VTD_S1. */
    public static final int HWPT_DATA_VTD_S1 = 1;
    /** enum iommu_hwpt_invalidate_data_type: IOMMU_HWPT_INVALIDATE_DATA_VTD_S1. */
    public static final int INVALIDATE_DATA_VTD_S1 = 0;
    /** sizeof(struct iommu_hwpt_vtd_s1_invalidate). */
    public static final int INVALIDATE_ENTRY_LEN = 24;

    private VtdUapiStructs() {
    }

    /** {@code { u64 flags; u64 pgtbl_addr; u32 addr_width; u32 __reserved; }}, 24 bytes. */
    public static byte[] hwptVtdS1(long flags, long pgtblAddr, int addrWidth) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(flags).putLong(pgtblAddr)
                .putInt(addrWidth).putInt(0).array();
    }

    /** {@code { u64 addr; u64 npages; u32 flags; u32 __reserved; }}, 24 bytes. */
    public static byte[] invalidate(long addr, long npages, int flags) {
        return ByteBuffer.allocate(INVALIDATE_ENTRY_LEN).order(ByteOrder.LITTLE_ENDIAN).putLong(addr).putLong(npages)
                .putInt(flags).putInt(0).array();
    }
}
