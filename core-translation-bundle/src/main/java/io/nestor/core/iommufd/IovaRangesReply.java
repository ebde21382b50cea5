package io.nestor.core.iommufd;

import java.util.List;

/**
 * What {@code IOMMU_IOAS_IOVA_RANGES} writes back: as many ranges as the caller's array holds,
 * the total count ({@code num_iovas}) and {@code out_iova_alignment}. When {@link #truncated()} the
 * ioctl still writes all of this back and then fails with EMSGSIZE.
 */
public record IovaRangesReply(List<IovaRange> ranges, int numIovas, long outIovaAlignment) {

    public IovaRangesReply {
        ranges = List.copyOf(ranges);
    }

    /** Whether more ranges exist than the caller had room for (the ioctl's EMSGSIZE). */
    public boolean truncated() {
        return numIovas > ranges.size();
    }
}
