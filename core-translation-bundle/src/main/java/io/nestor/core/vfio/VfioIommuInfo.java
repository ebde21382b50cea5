package io.nestor.core.vfio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What {@code VFIO_IOMMU_GET_INFO} leaves in the caller's buffer ({@code vfio_iommu_type1_get_info}):
 * {@code struct vfio_iommu_type1_info { u32 argsz; u32 flags; u64 iova_pgsizes; u32 cap_offset;
 * u32 pad; }} and, when it fits, the capability chain right after it.
 *
 * <p>Rules, from the kernel: {@code argsz} below {@value #MIN_SIZE} (the end of {@code iova_pgsizes})
 * is EINVAL (checked by the caller). {@code flags} always has PGSIZES, and CAPS whenever there is a
 * capability. If the whole info with its chain does not fit in {@code argsz}, nothing but the
 * header is written: {@code cap_offset} is 0 and {@code argsz} is raised to the size needed — a
 * success, so that the caller can retry with a larger buffer. Otherwise the chain is copied at
 * offset {@value #SIZE} and {@code cap_offset} says so. The header itself is copied back for
 * {@code min(argsz, sizeof)} bytes, so a caller whose {@code argsz} stops before {@code cap_offset}
 * does not get it.
 *
 * <p>{@link #buffer()} is the caller's buffer as the kernel leaves it, {@code min(argsz, needed)}
 * bytes long (the kernel never writes further): bytes it does not write are shown as zero.
 *
 * @param argsz the {@code argsz} written back (raised when the chain did not fit)
 * @param capOffset 0, or {@value #SIZE} when the chain was written
 */
public record VfioIommuInfo(long argsz, int flags, long iovaPgsizes, int capOffset, byte[] buffer) {
    /** {@code sizeof(struct vfio_iommu_type1_info)}. */
    public static final int SIZE = 24;
    /** {@code offsetofend(struct vfio_iommu_type1_info, iova_pgsizes)}. */
    public static final int MIN_SIZE = 16;

    public static final int FLAG_PGSIZES = 1;
    public static final int FLAG_CAPS = 1 << 1;

    public static final int CAP_IOVA_RANGE = 1;
    public static final int CAP_MIGRATION = 2;
    public static final int CAP_DMA_AVAIL = 3;
    /** {@code VFIO_IOMMU_TYPE1_INFO_CAP_NESTING}: 4 in the series' versions after DMA_AVAIL took 3. */
    public static final int CAP_NESTING = 4;

    public VfioIommuInfo {
        buffer = buffer.clone();
    }

    @Override
    public byte[] buffer() {
        return buffer.clone();
    }

    /** Lays out the answer for a caller buffer of {@code argsz} bytes ({@code argsz >= MIN_SIZE}). */
    static VfioIommuInfo write(long argsz, long iovaPgsizes, VfioInfoCaps caps) {
        int flags = FLAG_PGSIZES;
        long outArgsz = argsz;
        int capOffset = 0;
        byte[] chain = null;
        long needed = SIZE + caps.size();
        if (caps.size() > 0) {
            flags |= FLAG_CAPS;
            if (Long.compareUnsigned(argsz, needed) < 0) {
                outArgsz = needed;
            } else {
                chain = caps.shifted(SIZE);
                capOffset = SIZE;
            }
        }
        int length = (int) Math.min(argsz, needed);
        byte[] header = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) outArgsz)
                .putInt(4, flags).putLong(8, iovaPgsizes).putInt(16, capOffset).putInt(20, 0).array();
        byte[] out = new byte[length];
        System.arraycopy(header, 0, out, 0, Math.min(SIZE, length));
        if (chain != null) {
            System.arraycopy(chain, 0, out, SIZE, chain.length);
        }
        return new VfioIommuInfo(outArgsz, flags, iovaPgsizes, capOffset, out);
    }
}
