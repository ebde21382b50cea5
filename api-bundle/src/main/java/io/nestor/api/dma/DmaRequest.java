package io.nestor.api.dma;

/**
 * One DMA request to translate.
 *
 * @param device the issuing device's topology name
 * @param pasid the request's PASID, or {@link #NO_PASID}
 * @param iova the address the device issues
 * @param access {@link io.nestor.api.translation.Access} bits
 */
public record DmaRequest(String device, int pasid, long iova, int access) {
    public static final int NO_PASID = -1;
}
