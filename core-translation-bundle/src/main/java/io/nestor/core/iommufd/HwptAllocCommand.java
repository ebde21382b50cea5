package io.nestor.core.iommufd;

/**
 * {@code struct iommu_hwpt_alloc}: {@code data} is the vendor structure's bytes ({@code data_len}
 * = its length; empty for none), {@code faultId} counts only with FAULT_ID_VALID.
 */
public record HwptAllocCommand(int flags, int devId, int ptId, int reserved, int dataType, byte[] data,
        int faultId) {

    public HwptAllocCommand {
        data = data == null ? new byte[0] : data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** A paging allocation without vendor data. */
    public static HwptAllocCommand paging(int flags, int devId, int ioasId) {
        return new HwptAllocCommand(flags, devId, ioasId, 0, HwptAllocFlags.DATA_NONE, new byte[0], 0);
    }

    /** A nested allocation over {@code parentId} (a nest-parent HWPT or a vIOMMU). */
    public static HwptAllocCommand nested(int flags, int devId, int parentId, int dataType, byte[] data) {
        return new HwptAllocCommand(flags, devId, parentId, 0, dataType, data, 0);
    }
}
