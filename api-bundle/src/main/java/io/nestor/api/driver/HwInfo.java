package io.nestor.api.driver;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A unit's answer to {@code IOMMU_GET_HW_INFO}.
 *
 * @param type the {@code enum iommu_hw_info_type} value: 1 Intel VT-d, 2 Arm SMMUv3
 * @param data the vendor structure in the kernel's little-endian layout
 *     ({@code struct iommu_hw_info_vtd}, {@code struct iommu_hw_info_arm_smmuv3})
 * @param capabilities {@code IOMMU_HW_CAP_*} bits the unit provides (dirty tracking); the
 *     per-device PCI PASID bits are added by the core from the device
 * @param maxPasidLog2 the unit's PASID width, 0 without PASID support
 * @param registers the same register values by their specification names, in order, for display
 */
public record HwInfo(int type, byte[] data, long capabilities, int maxPasidLog2, Map<String, Long> registers) {

    public static final int TYPE_NONE = 0;
    public static final int TYPE_INTEL_VTD = 1;
    public static final int TYPE_ARM_SMMUV3 = 2;

    public static final long CAP_DIRTY_TRACKING = 1L;
    public static final long CAP_PCI_PASID_EXEC = 1L << 1;
    public static final long CAP_PCI_PASID_PRIV = 1L << 2;

    public HwInfo {
        data = data.clone();
        registers = Collections.unmodifiableMap(new LinkedHashMap<>(registers));
    }

    @Override
    public byte[] data() {
        return data.clone();
    }
}
