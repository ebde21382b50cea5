package io.nestor.api.iommufd;

/**
 * {@code struct iommu_ioas_map} (the {@code size} and {@code __reserved} fields have no meaning
 * here).
 *
 * @param flags {@link IoasMapFlags} bits
 * @param ioasId the IOAS
 * @param userVa a session virtual address inside the session's memory regions
 * @param length bytes
 * @param iova the IOVA, used with {@link IoasMapFlags#FIXED_IOVA}
 */
public record IoasMap(int flags, int ioasId, long userVa, long length, long iova) {
}
