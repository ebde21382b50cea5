package io.nestor.core.iommufd;

/**
 * {@code struct iommu_ioas_map_file}: map {@code length} bytes of memory region {@code regionId}
 * (the uAPI's {@code fd}) from byte {@code start}.
 */
public record IoasMapFileCommand(int flags, int ioasId, int regionId, long start, long length, long iova) {
}
