package io.nestor.api.vfio;

/**
 * What {@code VFIO_IOMMU_UNMAP_DMA} writes back.
 *
 * @param size the bytes unmapped (the struct's {@code size} on return)
 * @param bitmap with GET_DIRTY_BITMAP, the dirty bitmap of the range (little-endian 64-bit words);
 *     empty otherwise
 */
public record VfioDmaUnmapResult(long size, byte[] bitmap) {
    public VfioDmaUnmapResult {
        bitmap = bitmap.clone();
    }

    @Override
    public byte[] bitmap() {
        return bitmap.clone();
    }
}
