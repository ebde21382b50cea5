package io.nestor.core.vfio;

/**
 * Flag bits of {@code struct vfio_iommu_type1_dma_map}, {@code struct vfio_iommu_type1_dma_unmap}
 * and {@code struct vfio_iommu_type1_dirty_bitmap} ({@code include/uapi/linux/vfio.h}).
 */
public final class VfioDmaFlags {
    public static final int MAP_READ = 1;
    public static final int MAP_WRITE = 1 << 1;
    /** {@code VFIO_DMA_MAP_FLAG_VADDR}: refused here, see {@link VfioContainer#checkExtension}. */
    public static final int MAP_VADDR = 1 << 2;

    public static final int UNMAP_GET_DIRTY_BITMAP = 1;
    public static final int UNMAP_ALL = 1 << 1;
    /** {@code VFIO_DMA_UNMAP_FLAG_VADDR}: refused here, see {@link VfioContainer#checkExtension}. */
    public static final int UNMAP_VADDR = 1 << 2;

    public static final int DIRTY_PAGES_START = 1;
    public static final int DIRTY_PAGES_STOP = 1 << 1;
    public static final int DIRTY_PAGES_GET_BITMAP = 1 << 2;

    private VfioDmaFlags() {
    }
}
