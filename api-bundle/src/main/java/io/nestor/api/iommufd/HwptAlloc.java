package io.nestor.api.iommufd;

/**
 * {@code struct iommu_hwpt_alloc}: a paging HWPT over an IOAS, or a nested one over a nest-parent
 * HWPT_PAGING or a vIOMMU from vendor data ({@code iommu_hwpt_vtd_s1}, {@code iommu_hwpt_arm_smmuv3}
 * in the kernel's little-endian layout; {@code data_len} is its length).
 *
 * @param flags {@code IOMMU_HWPT_ALLOC_NEST_PARENT} 1, {@code _DIRTY_TRACKING} 2,
 *     {@code _FAULT_ID_VALID} 4, {@code _PASID} 8
 * @param dataType {@code enum iommu_hwpt_data_type}: 0 NONE, 1 INTEL_VTD, 2 ARM_SMMUV3
 * @param faultId the FAULT object, read only with FAULT_ID_VALID
 */
public record HwptAlloc(int flags, int devId, int ptId, int dataType, byte[] data, int faultId) {

    public HwptAlloc {
        data = data == null ? new byte[0] : data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }
}
