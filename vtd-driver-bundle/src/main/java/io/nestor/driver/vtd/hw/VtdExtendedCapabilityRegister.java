package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.RegisterField;

import io.nestor.api.driver.UnitFeatures;

/**
 * ECAP_REG (offset 0x10, 64 bits, read-only): extended capabilities, composed from the unit's
 * {@link UnitFeatures} at reset.
 *
 * <p>Bit positions follow the VT-d specification section 11.4.3 as restated in Nestor's
 * {@code hw-formats.md} section 1.1, checked against the {@code ecap_*} macros of Linux
 * {@code drivers/iommu/intel/iommu.h} ({@code ecap_nest = bit 26}, {@code ecap_pss = (e >> 35) & 0x1f},
 * {@code ecap_smts = bit 43}, {@code ecap_slads = bit 45}, {@code ecap_smpwc = bit 48}, ...).
 *
 * <p>What this implementation always offers, because a scalable-mode unit that lacks it could not
 * serve Nestor's purpose: queued invalidation (mandatory in scalable mode), pass-through, snoop
 * control, supervisor requests, scalable-mode translation with both first and second stage,
 * scalable-mode page-walk coherency (host memory is coherent) and RID_PASID support. Interrupt
 * remapping is not emulated, so IR, EIM and MHMV are zero.
 */
public final class VtdExtendedCapabilityRegister {

    /** Page-walk coherency (legacy mode). */
    public static final RegisterField C = RegisterField.bit("C", 0);
    public static final RegisterField QI = RegisterField.bit("QI", 1);
    /** Device-TLB (ATS) support. */
    public static final RegisterField DT = RegisterField.bit("DT", 2);
    public static final RegisterField IR = RegisterField.bit("IR", 3);
    public static final RegisterField EIM = RegisterField.bit("EIM", 4);
    public static final RegisterField PT = RegisterField.bit("PT", 6);
    public static final RegisterField SC = RegisterField.bit("SC", 7);
    /** IOTLB register offset, in 16-byte units. */
    public static final RegisterField IRO = RegisterField.bits("IRO", 17, 8);
    public static final RegisterField MHMV = RegisterField.bits("MHMV", 23, 20);
    public static final RegisterField MTS = RegisterField.bit("MTS", 25);
    /** Nested translation (PASID-entry PGTT = 011b). */
    public static final RegisterField NEST = RegisterField.bit("NEST", 26);
    /** Page request support. */
    public static final RegisterField PRS = RegisterField.bit("PRS", 29);
    public static final RegisterField ERS = RegisterField.bit("ERS", 30);
    /** Supervisor request support. */
    public static final RegisterField SRS = RegisterField.bit("SRS", 31);
    public static final RegisterField NWFS = RegisterField.bit("NWFS", 33);
    public static final RegisterField EAFS = RegisterField.bit("EAFS", 34);
    /** PASID size supported: PSS + 1 bits. */
    public static final RegisterField PSS = RegisterField.bits("PSS", 39, 35);
    public static final RegisterField PASID = RegisterField.bit("PASID", 40);
    public static final RegisterField DIT = RegisterField.bit("DIT", 41);
    /** Page-request drain support. */
    public static final RegisterField PDS = RegisterField.bit("PDS", 42);
    /** Scalable-mode translation support. */
    public static final RegisterField SMTS = RegisterField.bit("SMTS", 43);
    public static final RegisterField VCS = RegisterField.bit("VCS", 44);
    /** Second-stage accessed / dirty support (SLADS in older revisions, Linux {@code ecap_slads}). */
    public static final RegisterField SSADS = RegisterField.bit("SSADS", 45);
    /** Second-stage translation support (SLTS). */
    public static final RegisterField SSTS = RegisterField.bit("SSTS", 46);
    /** First-stage translation support (FLTS). */
    public static final RegisterField FSTS = RegisterField.bit("FSTS", 47);
    /** Scalable-mode page-walk coherency. */
    public static final RegisterField SMPWCS = RegisterField.bit("SMPWCS", 48);
    /** RID_PASID support. */
    public static final RegisterField RPS = RegisterField.bit("RPS", 49);
    public static final RegisterField PMS = RegisterField.bit("PMS", 51);
    public static final RegisterField ADMS = RegisterField.bit("ADMS", 52);
    public static final RegisterField RPRIVS = RegisterField.bit("RPRIVS", 53);

    /** Composes ECAP_REG for a unit with these features. */
    public static long fromFeatures(UnitFeatures f) {
        long ecap = 0;
        ecap = C.insert(ecap, true);
        ecap = QI.insert(ecap, true);
        ecap = DT.insert(ecap, f.deviceTlb());
        ecap = PT.insert(ecap, true);
        ecap = SC.insert(ecap, true);
        ecap = IRO.insert(ecap, VtdRegisterOffsets.IOTLB_BLOCK / 16);
        ecap = NEST.insert(ecap, f.nesting());
        ecap = PRS.insert(ecap, f.pageRequests());
        ecap = SRS.insert(ecap, true);
        if (f.pasidBits() > 0) {
            ecap = PSS.insert(ecap, f.pasidBits() - 1);
            ecap = PASID.insert(ecap, true);
        }
        // Draining page requests is what a PRS unit needs to tear a PASID down safely.
        ecap = PDS.insert(ecap, f.pageRequests());
        ecap = SMTS.insert(ecap, true);
        ecap = SSADS.insert(ecap, f.dirtyTracking());
        ecap = SSTS.insert(ecap, true);
        ecap = FSTS.insert(ecap, true);
        ecap = SMPWCS.insert(ecap, true);
        ecap = RPS.insert(ecap, true);
        return ecap;
    }

    /** Byte offset of the IOTLB register block ({@code ecap_iotlb_offset}). */
    public static int iotlbOffset(long ecap) {
        return (int) IRO.extract(ecap) * 16;
    }

    private VtdExtendedCapabilityRegister() {
    }
}
