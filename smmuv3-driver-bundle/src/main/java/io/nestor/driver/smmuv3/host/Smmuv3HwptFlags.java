package io.nestor.driver.smmuv3.host;

/**
 * {@code IOMMU_HWPT_ALLOC_*} flags of {@code IOMMU_HWPT_ALLOC} (include/uapi/linux/iommufd.h;
 * kernel-uapi.md §1.2.11) and the data / invalidation type numbers the SMMUv3 host driver takes.
 */
final class Smmuv3HwptFlags {

    static final int NEST_PARENT = 1;
    static final int DIRTY_TRACKING = 1 << 1;
    /** Handled by iommufd itself, which strips it before calling the driver. */
    static final int FAULT_ID_VALID = 1 << 2;
    static final int PASID = 1 << 3;

    /** {@code IOMMU_HWPT_DATA_ARM_SMMUV3}: {@code struct iommu_hwpt_arm_smmuv3}. */
    static final int DATA_ARM_SMMUV3 = 2;
    /** {@code IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3}: {@code struct iommu_viommu_arm_smmuv3_invalidate}. */
    static final int INVALIDATE_DATA_ARM_SMMUV3 = 1;

    private Smmuv3HwptFlags() {
    }
}
