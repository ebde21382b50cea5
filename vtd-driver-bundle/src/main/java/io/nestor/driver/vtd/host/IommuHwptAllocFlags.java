package io.nestor.driver.vtd.host;

/**
 * {@code IOMMU_HWPT_ALLOC_*} flags of {@code struct iommu_hwpt_alloc} (include/uapi/linux/iommufd.h),
 * as a driver receives them.
 */
public final class IommuHwptAllocFlags {

    public static final int NEST_PARENT = 1 << 0;
    public static final int DIRTY_TRACKING = 1 << 1;
    /**
     * Consumed by iommufd itself: {@code iommufd_hwpt_paging_alloc()} masks it out before calling
     * the driver's {@code domain_alloc_paging_flags}, so the driver ignores it.
     */
    public static final int FAULT_ID_VALID = 1 << 2;
    public static final int PASID = 1 << 3;

    private IommuHwptAllocFlags() {
    }
}
