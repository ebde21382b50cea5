package io.nestor.api.driver;

import java.util.Objects;

/**
 * An IOVA range a device may not use for DMA mappings ({@code struct iommu_resv_region}): what a
 * driver reports for a device ({@code iommu_ops.get_resv_regions}) and iommufd reserves in the IOAS
 * the device attaches to, so IOVA_RANGES leaves it out and MAP into it fails.
 *
 * @param start first IOVA
 * @param length bytes, non-zero; {@code start + length - 1} does not wrap
 * @param type the kernel's {@code enum iommu_resv_type}
 * @since 1.2
 */
public record ReservedRegion(long start, long length, Type type) {

    /** {@code enum iommu_resv_type}. */
    public enum Type {
        /** Memory the device needs identity-mapped (RMRR). */
        DIRECT,
        /** As DIRECT, but may be dropped when the device is assigned (iommufd skips it). */
        DIRECT_RELAXABLE,
        /** Never usable (a hole in the aperture). */
        RESERVED,
        /** A hardware MSI window, not translated (VT-d's interrupt range). */
        MSI,
        /** Where the OS maps MSI doorbells through the IOMMU (Arm's software MSI window). */
        SW_MSI
    }

    public ReservedRegion {
        Objects.requireNonNull(type, "type");
        if (length == 0 || Long.compareUnsigned(start + length - 1, start) < 0) {
            throw new IllegalArgumentException(String.format("reserved region 0x%x + 0x%x is empty or wraps", start,
                    length));
        }
    }

    /** The last IOVA (unsigned). */
    public long last() {
        return start + length - 1;
    }
}
