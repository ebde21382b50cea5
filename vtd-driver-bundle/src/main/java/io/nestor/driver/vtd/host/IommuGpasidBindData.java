package io.nestor.driver.vtd.host;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct iommu_gpasid_bind_data} of the vSVA series (include/uapi/linux/iommu.h, v5.10;
 * Nestor {@code kernel-uapi.md} 2.4 d), 72 bytes little-endian:
 * <pre>
 *   0  u32 argsz         bytes the user filled
 *   4  u32 version       IOMMU_GPASID_BIND_VERSION_1 = 1
 *   8  u32 format        IOMMU_PASID_FORMAT_INTEL_VTD = 1 (IOMMU_PASID_FORMAT_LAST = 2)
 *  12  u32 addr_width    guest first-stage width, 48 or 57
 *  16  u64 flags         IOMMU_SVA_GPASID_VAL (bit 0): gpasid is valid
 *  24  u64 gpgd          guest first-stage root (GPA)
 *  32  u64 hpasid        host PASID to program
 *  40  u64 gpasid        guest PASID
 *  48  u8  padding[8]
 *  56  struct iommu_gpasid_bind_data_vtd { u64 flags; u32 pat; u32 emt; }
 * </pre>
 * VT-d flags: SRE 0, EAFE 1, PCD 2, PWT 3, EMTE 4, CD 5, WPE 6, LAST 7.
 *
 * <p>{@link #parse} performs the IOMMU core's part ({@code iommu_sva_prepare_bind_data} and
 * {@code iommu_check_bind_data}): argsz below the offset of {@code vendor} (56), EINVAL; with the
 * VT-d format, argsz below the end of {@code vendor.vtd} (72), EINVAL; fewer bytes than argsz claims
 * (up to 72), EFAULT (the copy from user memory would fault); then version other than 1, format at or
 * beyond LAST, flags other than GPASID_VAL, non-zero padding: EINVAL. Bytes beyond 72 are ignored,
 * as the kernel copies at most {@code sizeof}.
 */
public record IommuGpasidBindData(int argsz, int version, int format, int addrWidth, long flags, long gpgd,
        long hpasid, long gpasid, long vtdFlags, int pat, int emt) {

    public static final int SIZE = 72;
    public static final int VENDOR_OFFSET = 56;
    public static final int VERSION_1 = 1;
    public static final int FORMAT_INTEL_VTD = 1;
    public static final int FORMAT_LAST = 2;
    public static final long GPASID_VAL = 1;

    public static final long VTD_SRE = 1L << 0;
    public static final long VTD_EAFE = 1L << 1;
    public static final long VTD_PCD = 1L << 2;
    public static final long VTD_PWT = 1L << 3;
    public static final long VTD_EMTE = 1L << 4;
    public static final long VTD_CD = 1L << 5;
    public static final long VTD_WPE = 1L << 6;
    public static final long VTD_LAST = 1L << 7;
    /** IOMMU_SVA_VTD_GPASID_MTS_MASK: the memory-type flags. */
    public static final long VTD_MTS_MASK = VTD_CD | VTD_EMTE | VTD_PCD | VTD_PWT;

    public static IommuGpasidBindData parse(byte[] data) {
        if (data == null || data.length < 4) {
            throw IommuException.of(Errno.EFAULT, "gpasid_bind_data of %d bytes has no argsz",
                    data == null ? 0 : data.length);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long argsz = Integer.toUnsignedLong(b.getInt(0));
        if (argsz < VENDOR_OFFSET) {
            throw IommuException.of(Errno.EINVAL, "gpasid_bind_data argsz %d below %d", argsz, VENDOR_OFFSET);
        }
        if (data.length < VENDOR_OFFSET) {
            throw IommuException.of(Errno.EFAULT, "gpasid_bind_data argsz %d but only %d bytes", argsz, data.length);
        }
        int format = b.getInt(8);
        if (format == FORMAT_INTEL_VTD && argsz < SIZE) {
            throw IommuException.of(Errno.EINVAL,
                    "gpasid_bind_data argsz %d below %d for the VT-d format", argsz, SIZE);
        }
        int copied = (int) Math.min(argsz, SIZE);
        if (data.length < copied) {
            throw IommuException.of(Errno.EFAULT, "gpasid_bind_data argsz %d but only %d bytes", argsz, data.length);
        }
        byte[] full = new byte[SIZE];
        System.arraycopy(data, 0, full, 0, copied);
        ByteBuffer f = ByteBuffer.wrap(full).order(ByteOrder.LITTLE_ENDIAN);
        IommuGpasidBindData d = new IommuGpasidBindData((int) argsz, f.getInt(4), format, f.getInt(12), f.getLong(16),
                f.getLong(24), f.getLong(32), f.getLong(40), f.getLong(56), f.getInt(64), f.getInt(68));
        if (d.version != VERSION_1) {
            throw IommuException.of(Errno.EINVAL, "gpasid_bind_data version %d, only %d", d.version, VERSION_1);
        }
        if (Integer.compareUnsigned(format, FORMAT_LAST) >= 0) {
            throw IommuException.of(Errno.EINVAL, "gpasid_bind_data format %d unknown", format);
        }
        if ((d.flags & ~GPASID_VAL) != 0) {
            throw IommuException.of(Errno.EINVAL, "gpasid_bind_data flags 0x%x, only GPASID_VAL", d.flags);
        }
        if (f.getLong(48) != 0) {
            throw IommuException.of(Errno.EINVAL, "gpasid_bind_data padding 0x%x is not zero", f.getLong(48));
        }
        return d;
    }

    /** Encodes all 72 bytes (argsz as recorded). */
    public byte[] encode() {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(0, argsz).putInt(4, version)
                .putInt(8, format).putInt(12, addrWidth).putLong(16, flags).putLong(24, gpgd).putLong(32, hpasid)
                .putLong(40, gpasid).putLong(56, vtdFlags).putInt(64, pat).putInt(68, emt).array();
    }
}
