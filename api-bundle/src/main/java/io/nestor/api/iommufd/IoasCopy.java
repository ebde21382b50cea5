package io.nestor.api.iommufd;

/**
 * {@code struct iommu_ioas_copy}: map what {@code [srcIova, srcIova + length)} of one IOAS maps into
 * another (or the same) IOAS.
 *
 * @param flags {@link IoasMapFlags} bits
 */
public record IoasCopy(int flags, int dstIoasId, int srcIoasId, long length, long dstIova, long srcIova) {
}
