package io.nestor.core.iommufd;

/** {@code struct iommu_option}. */
public record OptionCommand(int optionId, int op, int reserved, int objectId, long val64) {
}
