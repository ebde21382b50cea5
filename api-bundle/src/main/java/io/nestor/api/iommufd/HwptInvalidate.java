package io.nestor.api.iommufd;

/**
 * {@code struct iommu_hwpt_invalidate}: {@code entryNum} entries of {@code entryLen} bytes each in
 * {@code data}, in the kernel's little-endian layout ({@code iommu_hwpt_vtd_s1_invalidate}, or raw
 * SMMUv3 commands for a vIOMMU).
 *
 * @param hwptId a nested HWPT or a vIOMMU
 * @param dataType {@code enum iommu_hwpt_invalidate_data_type}: 0 VTD_S1, 1 VIOMMU_ARM_SMMUV3
 */
public record HwptInvalidate(int hwptId, int dataType, int entryLen, int entryNum, byte[] data) {

    public HwptInvalidate {
        data = data == null ? new byte[0] : data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }
}
