package io.nestor.api.vfio;

/**
 * {@code struct vfio_iommu_type1_dma_map} ({@code argsz} is implied).
 *
 * @param flags {@code VFIO_DMA_MAP_FLAG_READ} 1, {@code _WRITE} 2 ({@code _VADDR} 4 is refused, see
 *     {@link VfioContainers#checkExtension})
 * @param vaddr a session virtual address inside one of the session's memory regions
 * @param iova the IOVA, aligned to the container's smallest page
 * @param size bytes, a non-zero multiple of that page
 */
public record VfioDmaMap(int flags, long vaddr, long iova, long size) {
    public static final int FLAG_READ = 1;
    public static final int FLAG_WRITE = 1 << 1;
}
