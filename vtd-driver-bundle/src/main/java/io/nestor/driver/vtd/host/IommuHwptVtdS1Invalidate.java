package io.nestor.driver.vtd.host;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct iommu_hwpt_vtd_s1_invalidate} (include/uapi/linux/iommufd.h), one entry of
 * {@code IOMMU_HWPT_INVALIDATE} with data type {@code IOMMU_HWPT_INVALIDATE_DATA_VTD_S1} (0),
 * 24 bytes little-endian:
 * <pre>
 *   0  u64 addr        4 KiB aligned start
 *   8  u64 npages      number of 4 KiB pages; U64_MAX with addr 0: everything
 *  16  u32 flags       IOMMU_VTD_INV_FLAGS_LEAF (bit 0)
 *  20  u32 __reserved
 * </pre>
 */
public record IommuHwptVtdS1Invalidate(long addr, long npages, int flags, int reserved) {

    public static final int DATA_TYPE = 0;
    public static final int SIZE = 24;
    public static final int FLAG_LEAF = 1;

    public static IommuHwptVtdS1Invalidate at(byte[] entries, int offset) {
        ByteBuffer b = ByteBuffer.wrap(entries, offset, SIZE).order(ByteOrder.LITTLE_ENDIAN);
        return new IommuHwptVtdS1Invalidate(b.getLong(offset), b.getLong(offset + 8), b.getInt(offset + 16),
                b.getInt(offset + 20));
    }

    public byte[] encode() {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN).putLong(0, addr).putLong(8, npages)
                .putInt(16, flags).putInt(20, reserved).array();
    }

    public boolean leaf() {
        return (flags & FLAG_LEAF) != 0;
    }
}
