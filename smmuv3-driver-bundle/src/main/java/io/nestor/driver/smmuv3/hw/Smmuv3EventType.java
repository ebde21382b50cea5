package io.nestor.driver.smmuv3.hw;

/**
 * SMMUv3 event record types (the EventType field, bits 7:0 of an event record) that configuration
 * decode can raise. Values from the SMMUv3 architecture's event table, mirrored by
 * {@code EVT_ID_*} in Linux {@code drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h} and
 * {@code SMMU_EVT_*} in QEMU {@code hw/arm/smmuv3-internal.h}; hw-formats.md §2.6.
 */
public final class Smmuv3EventType {

    /** The StreamID is beyond the stream table, or its 2-level L1 descriptor has SPAN 0. */
    public static final int C_BAD_STREAMID = 0x02;
    /** An external abort (memory error) while fetching an STE or an L1 stream table descriptor. */
    public static final int F_STE_FETCH = 0x03;
    /** STE.V is 0, or the STE is illegal or asks for something the SMMU does not implement. */
    public static final int C_BAD_STE = 0x04;
    /** A request without SubstreamID arrived at an STE whose S1DSS says terminate. */
    public static final int F_STREAM_DISABLED = 0x06;
    /** The SubstreamID is beyond S1CDMax, substreams are disabled, or its L1CD is invalid. */
    public static final int C_BAD_SUBSTREAMID = 0x08;
    /** An external abort while fetching a CD or an L1 CD descriptor. */
    public static final int F_CD_FETCH = 0x09;
    /** CD.V is 0, or the CD is illegal or asks for something the SMMU does not implement. */
    public static final int C_BAD_CD = 0x0A;

    private Smmuv3EventType() {
    }
}
