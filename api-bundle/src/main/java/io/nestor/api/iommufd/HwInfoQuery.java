package io.nestor.api.iommufd;

/**
 * The inputs of {@code struct iommu_hw_info}.
 *
 * @param flags {@code IOMMU_HW_INFO_FLAG_INPUT_TYPE} 1
 * @param dataLen the length of the caller's buffer: the vendor data is cut to it, or zero-filled
 *     up to it
 * @param inDataType with INPUT_TYPE, the {@code enum iommu_hw_info_type} asked for
 */
public record HwInfoQuery(int flags, int devId, int dataLen, int inDataType) {
}
