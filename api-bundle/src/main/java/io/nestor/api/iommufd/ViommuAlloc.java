package io.nestor.api.iommufd;

/**
 * {@code struct iommu_viommu_alloc}.
 *
 * @param type {@code enum iommu_viommu_type}: 1 ARM_SMMUV3
 * @param hwptId the nest-parent HWPT_PAGING
 * @param data driver data, empty for none
 */
public record ViommuAlloc(int flags, int type, int devId, int hwptId, byte[] data) {

    public ViommuAlloc {
        data = data == null ? new byte[0] : data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }
}
