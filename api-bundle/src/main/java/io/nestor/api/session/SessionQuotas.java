package io.nestor.api.session;

/**
 * What one session may hold at most. Beyond a quota a call fails without effect: {@code ENOMEM}
 * for memory, {@code ENOSPC} for objects and PASIDs.
 *
 * @param memoryBytes bytes of memory regions together
 * @param objects memory regions, iommufd contexts and the objects in them, VFIO containers and their
 *     DMA mappings together
 * @param streamBuffer events buffered for a slow subscriber before further ones are counted as lost
 * @param pasids PASIDs the session may hold at once ({@code VFIO_IOMMU_PASID_REQUEST}, the series'
 *     per-VM quota); 0 when it may allocate none
 */
public record SessionQuotas(long memoryBytes, int objects, int streamBuffer, int pasids) {

    public SessionQuotas {
        if (memoryBytes <= 0 || objects <= 0 || streamBuffer <= 0 || pasids < 0) {
            throw new IllegalArgumentException("quotas must be positive: memory " + memoryBytes + ", objects "
                    + objects + ", stream buffer " + streamBuffer + " (PASIDs not negative: " + pasids + ")");
        }
    }

    /** Quotas without PASIDs (the shape of version 1.0). */
    public SessionQuotas(long memoryBytes, int objects, int streamBuffer) {
        this(memoryBytes, objects, streamBuffer, 0);
    }
}
