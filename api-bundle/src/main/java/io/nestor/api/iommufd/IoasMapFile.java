package io.nestor.api.iommufd;

/**
 * {@code struct iommu_ioas_map_file}, the {@code fd} being a memory region of the session.
 *
 * @param flags {@link IoasMapFlags} bits
 * @param ioasId the IOAS
 * @param regionId the memory region (the kernel's {@code fd})
 * @param start the byte offset in the region
 * @param length bytes
 * @param iova the IOVA, used with {@link IoasMapFlags#FIXED_IOVA}
 */
public record IoasMapFile(int flags, int ioasId, int regionId, long start, long length, long iova) {
}
