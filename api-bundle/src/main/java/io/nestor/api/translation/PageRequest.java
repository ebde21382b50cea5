package io.nestor.api.translation;

/**
 * A recoverable I/O page fault as the device raised it: a PCIe page request (PRI, VT-d page request
 * descriptor, SMMUv3 PRI queue entry) or an SMMUv3 stalled transaction (an event with Stall = 1).
 * The core hands it to the unit's driver to record in hardware format and to the owner of the
 * fault queue; the answer comes back as a {@link PageResponse} with the same group index.
 *
 * @param sourceId the requester: PCI RID or StreamID
 * @param pasid the PASID / SubstreamID, or {@code -1} when the request carries none
 * @param address the faulting input address (page aligned for PRI)
 * @param access the {@link Access} bits requested
 * @param groupIndex the page request group index (PRGI, 9 bits) or, for a stall, the stall tag
 *     (STAG, 16 bits)
 * @param lastInGroup PRI "last request in group"; always true for a stall
 * @param stall whether this is a stalled transaction rather than a PCIe page request
 * @param privateData VT-d page request private data (returned in the response), 0 if none
 */
public record PageRequest(int sourceId, int pasid, long address, int access, int groupIndex,
        boolean lastInGroup, boolean stall, long privateData) {

    /** The widest PRI group index: 9 bits (PCIe PRG index). */
    public static final int MAX_GROUP_INDEX = (1 << 9) - 1;
    /** The widest stall tag: 16 bits (SMMUv3 STAG). */
    public static final int MAX_STALL_TAG = (1 << 16) - 1;

    public PageRequest {
        if (sourceId < 0) {
            throw new IllegalArgumentException("negative source id " + sourceId);
        }
        if (pasid < -1 || pasid > InvalidationScope.MAX_ADDRESS_SPACE_TAG) {
            throw new IllegalArgumentException("PASID " + pasid + " outside -1.." + InvalidationScope.MAX_ADDRESS_SPACE_TAG);
        }
        int max = stall ? MAX_STALL_TAG : MAX_GROUP_INDEX;
        if (groupIndex < 0 || groupIndex > max) {
            throw new IllegalArgumentException("group index " + groupIndex + " outside 0.." + max);
        }
    }
}
