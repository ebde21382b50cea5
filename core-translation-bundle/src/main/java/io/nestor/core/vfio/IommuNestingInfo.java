package io.nestor.core.vfio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct iommu_nesting_info} of the vSVA series (v7, {@code include/uapi/linux/iommu.h};
 * kernel-uapi.md 2.4 a), the body of the NESTING capability, little-endian:
 * <pre>
 *   0 u32 argsz       the whole struct, vendor data included
 *   4 u32 flags       0
 *   8 u32 format      IOMMU_PASID_FORMAT_INTEL_VTD 1, IOMMU_PASID_FORMAT_SMMUV3 2
 *  12 u32 features    SYSWIDE_PASID 1&lt;&lt;0, BIND_PGTBL 1&lt;&lt;1, CACHE_INVLD 1&lt;&lt;2, PAGE_RESP 1&lt;&lt;3
 *  16 u16 addr_width  the first stage's output width: the nest parent's address width
 *  18 u16 pasid_bits  0 without PASIDs
 *  20 u8  padding[12]
 *  32 union vendor    VT-d: struct iommu_nesting_info_vtd { u32 flags; u32 padding; u64 cap_reg;
 *                     u64 ecap_reg; } — the layout of today's iommu_hw_info_vtd, so the unit's
 *                     hw_info bytes are copied; SMMUv3 (never defined by the series): the unit's
 *                     iommu_hw_info_arm_smmuv3 bytes, the registers the guest needs likewise
 * </pre>
 * PAGE_RESP is the bit later versions of the series added when the page response went through
 * VFIO; it is set when the unit reports page requests (or stalls).
 */
public final class IommuNestingInfo {
    public static final int HEADER_SIZE = 32;

    public static final int FORMAT_INTEL_VTD = 1;
    public static final int FORMAT_SMMUV3 = 2;

    public static final int FEAT_SYSWIDE_PASID = 1;
    public static final int FEAT_BIND_PGTBL = 1 << 1;
    public static final int FEAT_CACHE_INVLD = 1 << 2;
    public static final int FEAT_PAGE_RESP = 1 << 3;

    /** The struct's bytes. */
    public static byte[] encode(int format, int features, int addrWidth, int pasidBits, byte[] vendor) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE + vendor.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, HEADER_SIZE + vendor.length).putInt(4, 0).putInt(8, format).putInt(12, features)
                .putShort(16, (short) addrWidth).putShort(18, (short) pasidBits);
        b.put(HEADER_SIZE, vendor);
        return b.array();
    }

    private IommuNestingInfo() {
    }
}
