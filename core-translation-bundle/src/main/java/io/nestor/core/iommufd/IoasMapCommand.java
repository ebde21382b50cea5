package io.nestor.core.iommufd;

/** {@code struct iommu_ioas_map}: map {@code length} bytes at session address {@code userVa}. */
public record IoasMapCommand(int flags, int ioasId, int reserved, long userVa, long length, long iova) {
}
