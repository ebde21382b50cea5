package io.nestor.driver.vtd.host;

import io.nestor.api.driver.UnitContext;
import io.nestor.driver.vtd.hw.VtdCapabilityRegister;
import io.nestor.driver.vtd.hw.VtdExtendedCapabilityRegister;
import io.nestor.driver.vtd.hw.VtdPasidEntry;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;

/**
 * What the host driver derives from a unit's CAP and ECAP registers, with the predicates Linux
 * {@code drivers/iommu/intel/iommu.h} defines over them ({@code sm_supported}, {@code nested_supported},
 * {@code ssads_supported}, {@code pasid_supported}) and the adjusted guest address width
 * {@code iommu->agaw} that {@code __iommu_calculate_agaw()} picks.
 *
 * <p>Read from the registers on every call: the registers are the truth, the driver keeps nothing.
 *
 * @param cap CAP_REG
 * @param ecap ECAP_REG
 * @param hostAddressWidth the unit's host (output) address width
 */
public record VtdUnitCapabilities(long cap, long ecap, int hostAddressWidth) {

    /** Linux {@code DEFAULT_DOMAIN_ADDRESS_WIDTH}: the widest second stage the driver asks for. */
    private static final int DEFAULT_DOMAIN_ADDRESS_WIDTH = 57;

    public static VtdUnitCapabilities read(UnitContext unit) {
        return new VtdUnitCapabilities(unit.registers().read64(VtdRegisterOffsets.CAP),
                unit.registers().read64(VtdRegisterOffsets.ECAP), unit.features().outputAddressBits());
    }

    /** {@code sm_supported}: scalable-mode translation (ECAP.SMTS). */
    public boolean scalableMode() {
        return VtdExtendedCapabilityRegister.SMTS.isSet(ecap);
    }

    /** {@code nested_supported}: scalable mode and ECAP.NEST. */
    public boolean nestedSupported() {
        return scalableMode() && VtdExtendedCapabilityRegister.NEST.isSet(ecap);
    }

    /** {@code ssads_supported}: scalable mode, second-stage A/D and scalable-mode page-walk coherency. */
    public boolean ssadsSupported() {
        return scalableMode() && VtdExtendedCapabilityRegister.SSADS.isSet(ecap)
                && VtdExtendedCapabilityRegister.SMPWCS.isSet(ecap);
    }

    /** {@code pasid_supported}: scalable mode and ECAP.PASID. */
    public boolean pasidSupported() {
        return scalableMode() && VtdExtendedCapabilityRegister.PASID.isSet(ecap);
    }

    /**
     * The unit's PASID space, {@code 2 << PSS} as Linux sets {@code iommu->max_pasids}, bounded by
     * the 20-bit PASID (PSS is a 5-bit field: a foreign ECAP could say more); 0 without PASID.
     */
    public int maxPasids() {
        if (!pasidSupported()) {
            return 0;
        }
        long pasids = 2L << VtdExtendedCapabilityRegister.PSS.extract(ecap);
        return (int) Math.min(pasids, VtdPasidEntry.MAX_PASID + 1L);
    }

    public boolean secondStageSupported() {
        return VtdExtendedCapabilityRegister.SSTS.isSet(ecap);
    }

    public boolean fiveLevelFirstStage() {
        return VtdCapabilityRegister.FL5LP.isSet(cap);
    }

    public boolean supervisorRequests() {
        return VtdExtendedCapabilityRegister.SRS.isSet(ecap);
    }

    public boolean extendedAccessFlag() {
        return VtdExtendedCapabilityRegister.EAFS.isSet(ecap);
    }

    public boolean deviceTlb() {
        return VtdExtendedCapabilityRegister.DT.isSet(ecap);
    }

    public boolean pageRequests() {
        return VtdExtendedCapabilityRegister.PRS.isSet(ecap);
    }

    public boolean pageRequestDrain() {
        return VtdExtendedCapabilityRegister.PDS.isSet(ecap);
    }

    public boolean cachingMode() {
        return VtdCapabilityRegister.CM.isSet(cap);
    }

    public boolean pageWalkSnoop() {
        return VtdExtendedCapabilityRegister.SMPWCS.isSet(ecap);
    }

    public boolean pageSelectiveInvalidation() {
        return VtdCapabilityRegister.PSI.isSet(cap);
    }

    public int maxAddressMask() {
        return (int) VtdCapabilityRegister.MAMV.extract(cap);
    }

    /** Number of domain ids, {@code cap_ndoms}. */
    public int domainCount() {
        return (int) VtdCapabilityRegister.domainCount(cap);
    }

    /**
     * {@code iommu->agaw}: the deepest second-stage depth SAGAW reports, up to 57 bits
     * (1 = 39-bit / 3-level, 2 = 48-bit / 4-level, 3 = 57-bit / 5-level); -1 when SAGAW is empty.
     */
    public int agaw() {
        long sagaw = VtdCapabilityRegister.SAGAW.extract(cap);
        for (int agaw = (DEFAULT_DOMAIN_ADDRESS_WIDTH - 30) / 9; agaw >= 0; agaw--) {
            if ((sagaw & (1L << agaw)) != 0) {
                return agaw;
            }
        }
        return -1;
    }

    /** {@code agaw_to_width}: 30 + 9 * agaw, at most 64. */
    public static int agawToWidth(int agaw) {
        return Math.min(30 + agaw * 9, 64);
    }

    /** {@code width_to_agaw}. */
    public static int widthToAgaw(int width) {
        return (width - 30 + 8) / 9;
    }

    /**
     * The address width of a paging domain on this unit, as {@code paging_domain_alloc()} sets
     * {@code domain->gaw}: the agaw's width, capped at MGAW.
     */
    public int domainAddressWidth() {
        return Math.min(agawToWidth(agaw()), VtdCapabilityRegister.maxGuestAddressWidth(cap));
    }
}
