package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.RegisterField;

import io.nestor.api.driver.UnitFeatures;

/**
 * CAP_REG (offset 0x08, 64 bits, read-only): the unit's capabilities, composed from its
 * {@link UnitFeatures} at reset.
 *
 * <p>Bit positions follow the VT-d specification section 11.4.2 as restated in Nestor's
 * {@code hw-formats.md} section 1.1, and were checked against the {@code cap_*} decode macros of
 * Linux {@code drivers/iommu/intel/iommu.h} (e.g. {@code cap_sagaw(c) = (c >> 8) & 0x1f},
 * {@code cap_fault_reg_offset(c) = ((c >> 24) & 0x3ff) * 16}, {@code cap_fl5lp_support(c) = (c >> 60) & 1}).
 *
 * <p>Invariant of {@link #fromFeatures}: every field it sets is derived from the features or is a
 * fixed property of this implementation documented below; reserved bits stay zero.
 */
public final class VtdCapabilityRegister {

    /** Number of domains = 2^(4 + 2*ND). */
    public static final RegisterField ND = RegisterField.bits("ND", 2, 0);
    public static final RegisterField AFL = RegisterField.bit("AFL", 3);
    /** Required write-buffer flushing; zero here, as for every scalable-mode implementation. */
    public static final RegisterField RWBF = RegisterField.bit("RWBF", 4);
    public static final RegisterField PLMR = RegisterField.bit("PLMR", 5);
    public static final RegisterField PHMR = RegisterField.bit("PHMR", 6);
    /** Caching mode: not-present and invalid entries may be cached. */
    public static final RegisterField CM = RegisterField.bit("CM", 7);
    /** Supported adjusted guest address widths (second stage): bit 1 39-bit, bit 2 48-bit, bit 3 57-bit. */
    public static final RegisterField SAGAW = RegisterField.bits("SAGAW", 12, 8);
    /** Maximum guest address width minus one. */
    public static final RegisterField MGAW = RegisterField.bits("MGAW", 21, 16);
    public static final RegisterField ZLR = RegisterField.bit("ZLR", 22);
    /** Fault-recording register offset, in 16-byte units. */
    public static final RegisterField FRO = RegisterField.bits("FRO", 33, 24);
    /** Second-stage large page support: bit 34 2 MiB, bit 35 1 GiB. */
    public static final RegisterField SLLPS = RegisterField.bits("SLLPS", 37, 34);
    public static final RegisterField PSI = RegisterField.bit("PSI", 39);
    /** Number of fault-recording registers minus one. */
    public static final RegisterField NFR = RegisterField.bits("NFR", 47, 40);
    /** Maximum address-mask value for page-selective invalidation. */
    public static final RegisterField MAMV = RegisterField.bits("MAMV", 53, 48);
    public static final RegisterField DWD = RegisterField.bit("DWD", 54);
    public static final RegisterField DRD = RegisterField.bit("DRD", 55);
    /** First-stage 1 GiB pages (FS1GP in spec 4.x, FL1GP earlier). */
    public static final RegisterField FL1GP = RegisterField.bit("FL1GP", 56);
    public static final RegisterField PI = RegisterField.bit("PI", 59);
    /** First-stage 5-level paging. */
    public static final RegisterField FL5LP = RegisterField.bit("FL5LP", 60);
    public static final RegisterField ECMDS = RegisterField.bit("ECMDS", 61);
    public static final RegisterField ESIRTPS = RegisterField.bit("ESIRTPS", 62);
    public static final RegisterField ESRTPS = RegisterField.bit("ESRTPS", 63);

    /** SAGAW bit values, one per second-stage paging depth. */
    public static final int SAGAW_39_BIT = 1 << 1;
    public static final int SAGAW_48_BIT = 1 << 2;
    public static final int SAGAW_57_BIT = 1 << 3;

    /** SLLPS bit values (relative to the field). */
    public static final int SLLPS_2M = 1 << 0;
    public static final int SLLPS_1G = 1 << 1;

    /**
     * MAMV: page-selective invalidation covers up to 2^18 pages (1 GiB) per descriptor, the value
     * QEMU's intel-iommu reports.
     */
    public static final int MAX_ADDRESS_MASK = 18;

    /**
     * Composes CAP_REG for a unit with these features.
     *
     * @throws IllegalArgumentException when a feature has no CAP_REG encoding: a domain-ID width
     *     that is not 4, 6, ..., 16 bits, or an input width below 39 bits (no second-stage depth fits)
     */
    public static long fromFeatures(UnitFeatures f) {
        long cap = 0;
        cap = ND.insert(cap, domainIdEncoding(f.domainIdBits()));
        cap = CM.insert(cap, f.cachingMode());
        cap = SAGAW.insert(cap, sagaw(f.inputAddressBits()));
        cap = MGAW.insert(cap, f.inputAddressBits() - 1);
        cap = FRO.insert(cap, VtdRegisterOffsets.FAULT_RECORDS / 16);
        int sllps = 0;
        if (f.supportsPageSize(UnitFeatures.SIZE_2M)) {
            sllps |= SLLPS_2M;
        }
        if (f.supportsPageSize(UnitFeatures.SIZE_1G)) {
            sllps |= SLLPS_1G;
        }
        cap = SLLPS.insert(cap, sllps);
        cap = PSI.insert(cap, true);
        cap = NFR.insert(cap, VtdRegisterOffsets.FAULT_RECORD_COUNT - 1);
        cap = MAMV.insert(cap, MAX_ADDRESS_MASK);
        cap = FL1GP.insert(cap, f.supportsPageSize(UnitFeatures.SIZE_1G));
        cap = FL5LP.insert(cap, f.fiveLevelStage1());
        return cap;
    }

    /** ND for a domain-ID width: 2^(4+2*ND) domains, so widths 4, 6, ..., 16 map to 0..6. */
    static int domainIdEncoding(int domainIdBits) {
        if (domainIdBits < 4 || domainIdBits > 16 || (domainIdBits & 1) != 0) {
            throw new IllegalArgumentException("VT-d CAP.ND encodes 2^(4+2*ND) domain IDs: domainIdBits must be "
                    + "one of 4, 6, 8, 10, 12, 14, 16, got " + domainIdBits);
        }
        return (domainIdBits - 4) / 2;
    }

    /** The second-stage widths (39, 48, 57 bits) that fit within the input address width. */
    static int sagaw(int inputAddressBits) {
        if (inputAddressBits < 39) {
            throw new IllegalArgumentException("VT-d second stage needs at least a 39-bit (3-level) input width, "
                    + "got inputAddressBits " + inputAddressBits);
        }
        int sagaw = SAGAW_39_BIT;
        if (inputAddressBits >= 48) {
            sagaw |= SAGAW_48_BIT;
        }
        if (inputAddressBits >= 57) {
            sagaw |= SAGAW_57_BIT;
        }
        return sagaw;
    }

    /** Number of domain IDs CAP.ND announces ({@code cap_ndoms}). */
    public static long domainCount(long cap) {
        return 1L << (4 + 2 * ND.extract(cap));
    }

    /** Maximum guest address width in bits ({@code cap_mgaw}). */
    public static int maxGuestAddressWidth(long cap) {
        return (int) MGAW.extract(cap) + 1;
    }

    /** Byte offset of the first fault-recording register ({@code cap_fault_reg_offset}). */
    public static int faultRecordOffset(long cap) {
        return (int) FRO.extract(cap) * 16;
    }

    /** Number of fault-recording registers ({@code cap_num_fault_regs}). */
    public static int faultRecordCount(long cap) {
        return (int) NFR.extract(cap) + 1;
    }

    private VtdCapabilityRegister() {
    }
}
