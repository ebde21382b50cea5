package io.nestor.api.vfio;

/**
 * What {@code VFIO_IOMMU_GET_INFO} leaves in a caller buffer of {@code argsz} bytes: the decoded
 * header of {@code struct vfio_iommu_type1_info { u32 argsz; u32 flags; u64 iova_pgsizes;
 * u32 cap_offset; u32 pad; }} and the raw buffer the kernel writes, with the capability chain
 * (IOVA_RANGE 1, DMA_AVAIL 3, NESTING 4) after the 24-byte header when it fits.
 *
 * <p>When the chain does not fit, only the header is written, {@code cap_offset} is 0 and
 * {@code argsz} is raised to the size needed — a success, so the caller retries with a larger
 * buffer. The buffer is {@code min(argsz asked, size needed)} bytes: the kernel never writes beyond
 * either, so a caller whose {@code argsz} stops before {@code cap_offset} does not see it.
 *
 * @param argsz the {@code argsz} written back
 * @param flags {@code VFIO_IOMMU_INFO_PGSIZES} 1, {@code VFIO_IOMMU_INFO_CAPS} 2
 * @param iovaPgsizes the page sizes the container's domains all support, bit n for 2^n bytes
 * @param capOffset the offset of the first capability in {@link #info()}, or 0
 * @param info the caller's buffer as the kernel leaves it, little-endian
 */
public record VfioIommuInfo(long argsz, int flags, long iovaPgsizes, int capOffset, byte[] info) {
    public static final int FLAG_PGSIZES = 1;
    public static final int FLAG_CAPS = 1 << 1;

    public VfioIommuInfo {
        info = info.clone();
    }

    @Override
    public byte[] info() {
        return info.clone();
    }
}
