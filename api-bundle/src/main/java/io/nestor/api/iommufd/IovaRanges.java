package io.nestor.api.iommufd;

import java.util.List;

/**
 * What {@code IOMMU_IOAS_IOVA_RANGES} writes back on success.
 *
 * @param allowedIovas the usable ranges, ascending
 * @param numIovas their count
 * @param outIovaAlignment the alignment every mapping's IOVA must have
 */
public record IovaRanges(List<IovaRange> allowedIovas, int numIovas, long outIovaAlignment) {

    public IovaRanges {
        allowedIovas = List.copyOf(allowedIovas);
    }
}
