package io.nestor.api.vfio;

/**
 * {@code struct vfio_bitmap} without its user pointer: the bitmap itself comes back as the call's
 * result, packed into little-endian 64-bit words.
 *
 * @param pgsize the bytes one bit stands for; it must be the container's smallest IOMMU page
 * @param size the bytes of bitmap the caller offers; at least enough whole 64-bit words for the range
 */
public record VfioBitmap(long pgsize, long size) {
}
