package io.nestor.core.vfio;

/**
 * What {@code VFIO_IOMMU_UNMAP_DMA} writes back: the bytes unmapped ({@code size}) and, with
 * {@code GET_DIRTY_BITMAP}, the bitmap (little-endian 64-bit words; empty otherwise).
 */
public record VfioUnmapResult(long size, byte[] bitmap) {
    public VfioUnmapResult {
        bitmap = bitmap.clone();
    }

    @Override
    public byte[] bitmap() {
        return bitmap.clone();
    }
}
