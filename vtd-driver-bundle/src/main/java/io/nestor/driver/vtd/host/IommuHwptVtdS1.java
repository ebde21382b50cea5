package io.nestor.driver.vtd.host;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct iommu_hwpt_vtd_s1} (include/uapi/linux/iommufd.h), the vendor data of
 * {@code IOMMU_HWPT_ALLOC} for a VT-d nested domain, 24 bytes little-endian:
 * <pre>
 *   0  u64 flags        IOMMU_VTD_S1_SRE (bit 0), _EAFE (bit 1), _WPE (bit 2)
 *   8  u64 pgtbl_addr   the guest's first-stage root (a GPA)
 *  16  u32 addr_width   48 (4-level) or 57 (5-level)
 *  20  u32 __reserved
 * </pre>
 *
 * <p>{@link #parse} applies {@code iommu_copy_struct_from_user(&vtd, data, IOMMU_HWPT_DATA_VTD_S1,
 * __reserved)}: the length must be at least {@code offsetofend(__reserved)} and at most the
 * kernel's {@code sizeof}, both 24, so anything but 24 bytes is EINVAL. As in Linux, neither the flag
 * bits nor {@code __reserved} are checked here; the fields are checked where the PASID entry is
 * written ({@code intel_pasid_setup_nested}), and flag bits other than SRE / EAFE / WPE are simply
 * never programmed.
 */
public record IommuHwptVtdS1(long flags, long pgtblAddr, int addrWidth, int reserved) {

    public static final int DATA_TYPE = 1; // IOMMU_HWPT_DATA_VTD_S1
    public static final int SIZE = 24;

    public static final long FLAG_SRE = 1L << 0;
    public static final long FLAG_EAFE = 1L << 1;
    public static final long FLAG_WPE = 1L << 2;

    /** Stage-1 address widths Linux accepts ({@code ADDR_WIDTH_4LEVEL}, {@code ADDR_WIDTH_5LEVEL}). */
    public static final int ADDR_WIDTH_4LEVEL = 48;
    public static final int ADDR_WIDTH_5LEVEL = 57;

    public static IommuHwptVtdS1 parse(byte[] data) {
        if (data == null || data.length != SIZE) {
            throw IommuException.of(Errno.EINVAL, "iommu_hwpt_vtd_s1 data_len %d, must be %d",
                    data == null ? 0 : data.length, SIZE);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        return new IommuHwptVtdS1(b.getLong(0), b.getLong(8), b.getInt(16), b.getInt(20));
    }

    public byte[] encode() {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0, flags).putLong(8, pgtblAddr).putInt(16, addrWidth).putInt(20, reserved).array();
    }

    public boolean sre() {
        return (flags & FLAG_SRE) != 0;
    }

    public boolean eafe() {
        return (flags & FLAG_EAFE) != 0;
    }

    public boolean wpe() {
        return (flags & FLAG_WPE) != 0;
    }
}
