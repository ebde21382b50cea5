package io.nestor.core.iommufd;

/**
 * An inclusive IOVA range, {@code struct iommu_iova_range { start; last; }}; both ends unsigned.
 */
public record IovaRange(long start, long last) {

    /** Whether the ranges share at least one address (unsigned). */
    public boolean intersects(long otherStart, long otherLast) {
        return Long.compareUnsigned(start, otherLast) <= 0 && Long.compareUnsigned(otherStart, last) <= 0;
    }

    @Override
    public String toString() {
        return String.format("[0x%x, 0x%x]", start, last);
    }
}
