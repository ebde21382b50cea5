package io.nestor.api.iommufd;

/**
 * What {@code IOMMU_GET_HW_INFO} writes back.
 *
 * @param data the caller's buffer as the kernel leaves it: exactly {@code data_len} (in) bytes,
 *     the vendor structure cut to it or zero-filled beyond it
 * @param dataLen {@code data_len} written back: the driver's full length
 * @param outDataType {@code enum iommu_hw_info_type}
 * @param outMaxPasidLog2 the device's PASID width, 0 without PASID
 * @param outCapabilities {@code IOMMU_HW_CAP_*} bits
 */
public record HwInfoData(byte[] data, int dataLen, int outDataType, int outMaxPasidLog2, long outCapabilities) {

    public HwInfoData {
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }
}
