package io.nestor.api.iommufd;

/** {@code struct iommu_iova_range}: both ends inclusive and unsigned. */
public record IovaRange(long start, long last) {
}
