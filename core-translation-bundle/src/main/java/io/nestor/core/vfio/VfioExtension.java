package io.nestor.core.vfio;

/**
 * The {@code VFIO_CHECK_EXTENSION} / {@code VFIO_SET_IOMMU} argument values
 * ({@code include/uapi/linux/vfio.h}). {@link #TYPE1_NESTING_IOMMU} is the vSVA series' value,
 * later renamed {@code __VFIO_RESERVED_TYPE1_NESTING_IOMMU} upstream.
 */
public final class VfioExtension {
    /** {@code VFIO_API_VERSION}: what {@code VFIO_GET_API_VERSION} returns. */
    public static final int API_VERSION = 0;

    public static final int TYPE1_IOMMU = 1;
    public static final int SPAPR_TCE_IOMMU = 2;
    public static final int TYPE1V2_IOMMU = 3;
    public static final int DMA_CC_IOMMU = 4;
    public static final int EEH = 5;
    public static final int TYPE1_NESTING_IOMMU = 6;
    public static final int SPAPR_TCE_V2_IOMMU = 7;
    public static final int NOIOMMU_IOMMU = 8;
    public static final int UNMAP_ALL = 9;
    public static final int UPDATE_VADDR = 10;

    private VfioExtension() {
    }
}
