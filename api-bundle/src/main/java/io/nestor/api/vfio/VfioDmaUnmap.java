package io.nestor.api.vfio;

/**
 * {@code struct vfio_iommu_type1_dma_unmap} with its optional trailing {@code struct vfio_bitmap}.
 *
 * @param flags {@code VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP} 1, {@code _ALL} 2 ({@code _VADDR} 4 is
 *     refused)
 * @param iova the first IOVA; 0 with ALL
 * @param size bytes; 0 with ALL
 * @param bitmap with GET_DIRTY_BITMAP, the bitmap the caller offers; null when its {@code argsz}
 *     stops before one
 */
public record VfioDmaUnmap(int flags, long iova, long size, VfioBitmap bitmap) {
    public static final int FLAG_GET_DIRTY_BITMAP = 1;
    public static final int FLAG_ALL = 1 << 1;
}
