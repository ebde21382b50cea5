package io.nestor.api.vfio;

/**
 * {@code struct vfio_iommu_type1_dirty_bitmap} with, for GET_BITMAP, its
 * {@code struct vfio_iommu_type1_dirty_bitmap_get} ({@code iova}, {@code size}, {@code bitmap}).
 *
 * @param flags exactly one of {@code VFIO_IOMMU_DIRTY_PAGES_FLAG_START} 1, {@code _STOP} 2,
 *     {@code _GET_BITMAP} 4
 * @param iova with GET_BITMAP, the first IOVA of the range
 * @param size with GET_BITMAP, the range's bytes
 * @param bitmap with GET_BITMAP, the bitmap the caller offers; null when its {@code argsz} stops
 *     before the {@code _get} struct
 */
public record VfioDirtyPages(int flags, long iova, long size, VfioBitmap bitmap) {
    public static final int FLAG_START = 1;
    public static final int FLAG_STOP = 1 << 1;
    public static final int FLAG_GET_BITMAP = 1 << 2;
}
