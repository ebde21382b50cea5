package io.nestor.core.iommufd;

/** {@code enum iommufd_hwpt_alloc_flags} (include/uapi/linux/iommufd.h). */
public final class HwptAllocFlags {
    public static final int NEST_PARENT = 1;
    public static final int DIRTY_TRACKING = 1 << 1;
    public static final int FAULT_ID_VALID = 1 << 2;
    public static final int PASID = 1 << 3;
    /** What a paging HWPT accepts ({@code iommufd_hwpt_paging_alloc}'s {@code valid_flags}). */
    public static final int PAGING_VALID = NEST_PARENT | DIRTY_TRACKING | FAULT_ID_VALID | PASID;
    /** What a nested HWPT accepts. */
    public static final int NESTED_VALID = FAULT_ID_VALID | PASID;

    /** {@code IOMMU_HWPT_DATA_NONE}. */
    public static final int DATA_NONE = 0;

    private HwptAllocFlags() {
    }
}
