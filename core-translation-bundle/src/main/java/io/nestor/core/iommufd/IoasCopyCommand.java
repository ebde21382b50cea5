package io.nestor.core.iommufd;

/** {@code struct iommu_ioas_copy}: map what {@code [srcIova, +length)} of one IOAS maps into another. */
public record IoasCopyCommand(int flags, int dstIoasId, int srcIoasId, long length, long dstIova, long srcIova) {
}
