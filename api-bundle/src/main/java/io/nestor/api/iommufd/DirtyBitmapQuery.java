package io.nestor.api.iommufd;

/**
 * {@code struct iommu_hwpt_get_dirty_bitmap} without the user pointer: the bitmap is returned.
 *
 * @param flags {@code IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR} 1
 */
public record DirtyBitmapQuery(int hwptId, int flags, long iova, long length, long pageSize) {
}
