package io.nestor.core.vfio;

import io.nestor.api.vfio.VfioDirtyPages;
import io.nestor.api.vfio.VfioDmaMap;
import io.nestor.api.vfio.VfioDmaUnmap;

/**
 * Flag bits of {@code struct vfio_iommu_type1_dma_map}, {@code struct vfio_iommu_type1_dma_unmap}
 * and {@code struct vfio_iommu_type1_dirty_bitmap} ({@code include/uapi/linux/vfio.h}): the API's
 * values under type1's names, plus the VADDR bits the API does not offer.
 */
public final class VfioDmaFlags {
    public static final int MAP_READ = VfioDmaMap.FLAG_READ;
    public static final int MAP_WRITE = VfioDmaMap.FLAG_WRITE;
    /** {@code VFIO_DMA_MAP_FLAG_VADDR}: refused here, see {@link VfioContainer#checkExtension}. */
    public static final int MAP_VADDR = 1 << 2;

    public static final int UNMAP_GET_DIRTY_BITMAP = VfioDmaUnmap.FLAG_GET_DIRTY_BITMAP;
    public static final int UNMAP_ALL = VfioDmaUnmap.FLAG_ALL;
    /** {@code VFIO_DMA_UNMAP_FLAG_VADDR}: refused here, see {@link VfioContainer#checkExtension}. */
    public static final int UNMAP_VADDR = 1 << 2;

    public static final int DIRTY_PAGES_START = VfioDirtyPages.FLAG_START;
    public static final int DIRTY_PAGES_STOP = VfioDirtyPages.FLAG_STOP;
    public static final int DIRTY_PAGES_GET_BITMAP = VfioDirtyPages.FLAG_GET_BITMAP;

    private VfioDmaFlags() {
    }
}
