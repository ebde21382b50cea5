package io.nestor.core.iommufd;

/**
 * What IOMMU_GET_HW_INFO writes back.
 *
 * @param data the user's buffer as the kernel leaves it: {@code min(data_len, driver length)} bytes
 *     of the vendor structure, the rest zero-filled, exactly the caller's {@code data_len} long
 * @param dataLen the {@code data_len} written back: the driver's full length
 * @param outDataType {@code enum iommu_hw_info_type}
 * @param outMaxPasidLog2 the device's PASID width, 0 without PASID
 * @param outCapabilities {@code IOMMU_HW_CAP_*}
 */
public record HwInfoReply(byte[] data, int dataLen, int outDataType, int outMaxPasidLog2, long outCapabilities) {

    public HwInfoReply {
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }
}
