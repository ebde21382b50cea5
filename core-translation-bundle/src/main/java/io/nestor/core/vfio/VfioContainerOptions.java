package io.nestor.core.vfio;

/**
 * A container's settings, the module parameters of {@code vfio_iommu_type1}.
 *
 * @param dmaEntryLimit {@code dma_entry_limit}: mappings a container may hold at once, what the
 *     DMA_AVAIL capability counts down from (default 65535, {@code U16_MAX})
 */
public record VfioContainerOptions(int dmaEntryLimit) {
    public static final int DEFAULT_DMA_ENTRY_LIMIT = 65535;

    public VfioContainerOptions {
        if (dmaEntryLimit < 0) {
            throw new IllegalArgumentException("dma_entry_limit " + dmaEntryLimit + " < 0");
        }
    }

    public static VfioContainerOptions defaults() {
        return new VfioContainerOptions(DEFAULT_DMA_ENTRY_LIMIT);
    }
}
