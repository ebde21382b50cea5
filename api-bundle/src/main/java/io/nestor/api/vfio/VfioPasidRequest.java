package io.nestor.api.vfio;

/**
 * {@code struct vfio_iommu_type1_pasid_request} of the vSVA series: {@code flags} and the
 * {@code range} ({@code min}, {@code max}, unsigned 32-bit, inclusive).
 *
 * @param flags exactly one of {@link #ALLOC} ({@code VFIO_IOMMU_FLAG_ALLOC_PASID}) and {@link #FREE}
 *     ({@code VFIO_IOMMU_FLAG_FREE_PASID})
 */
public record VfioPasidRequest(int flags, int min, int max) {
    public static final int ALLOC = 1;
    public static final int FREE = 1 << 1;
}
