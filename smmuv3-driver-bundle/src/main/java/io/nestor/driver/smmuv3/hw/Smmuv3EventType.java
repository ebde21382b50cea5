package io.nestor.driver.smmuv3.hw;

/**
 * SMMUv3 event record types (the EventType field, bits 7:0 of an event record): those configuration
 * decode raises and those the event queue records for translation faults. Values from the SMMUv3 architecture's event table, mirrored by
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
    /** An external abort on a translation table walk (S2 and CLASS say which walk and what for). */
    public static final int F_WALK_EABT = 0x0B;
    /** No valid translation: an invalid descriptor, an input outside TxSZ, EPD set. */
    public static final int F_TRANSLATION = 0x10;
    /** An output address beyond IPS / S2PS, or an input beyond the IAS. */
    public static final int F_ADDR_SIZE = 0x11;
    /** The access flag is clear and the hardware does not manage it. */
    public static final int F_ACCESS = 0x12;
    /** AP / S2AP / XN / APTable deny the access. */
    public static final int F_PERMISSION = 0x13;

    /** Whether events of {@code type} are translation faults, which CD.R / STE.S2R can suppress. */
    public static boolean isTranslationFault(int type) {
        return type >= F_TRANSLATION && type <= F_PERMISSION;
    }

    private Smmuv3EventType() {
    }
}
