package io.nestor.api.session;

/**
 * What one session may hold at most. Beyond a quota a call fails without effect: {@code ENOMEM}
 * for memory, {@code ENOSPC} for objects.
 *
 * @param memoryBytes bytes of memory regions together
 * @param objects memory regions, iommufd contexts and the objects in them together
 * @param streamBuffer events buffered for a slow subscriber before further ones are counted as lost
 */
public record SessionQuotas(long memoryBytes, int objects, int streamBuffer) {

    public SessionQuotas {
        if (memoryBytes <= 0 || objects <= 0 || streamBuffer <= 0) {
            throw new IllegalArgumentException("quotas must be positive: memory " + memoryBytes + ", objects "
                    + objects + ", stream buffer " + streamBuffer);
        }
    }
}
