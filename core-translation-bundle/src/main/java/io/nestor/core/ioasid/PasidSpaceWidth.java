package io.nestor.core.ioasid;

import io.nestor.api.driver.UnitFeatures;
import java.util.Collection;

/**
 * The width of the platform's one PASID space, derived from its IOMMU units.
 *
 * <p>The rule is the VT-d driver's: {@code intel_iommu_init} starts from the PCIe maximum (20 bits)
 * and lowers {@code intel_pasid_max_id} to {@code 2 << ECAP.PSS} for every unit that supports
 * PASIDs, so the system-wide space is as wide as the narrowest PASID-capable unit; units without
 * PASID support do not narrow it. A PASID allocated from the space is then valid on every unit a
 * device might sit behind. SMMUv3 units take part with their SSIDSIZE the same way. No
 * PASID-capable unit at all gives width 0: the platform has no PASID space.
 */
public final class PasidSpaceWidth {

    /** The PCIe PASID TLP prefix carries 20 bits. */
    public static final int PCIE_MAX_BITS = 20;

    private PasidSpaceWidth() {
    }

    /** The narrowest non-zero {@link UnitFeatures#pasidBits()} of {@code units}, or 0 if none has any. */
    public static int of(Collection<UnitFeatures> units) {
        int width = 0;
        for (UnitFeatures u : units) {
            int bits = u.pasidBits();
            if (bits > 0) {
                width = width == 0 ? bits : Math.min(width, bits);
            }
        }
        return Math.min(width, PCIE_MAX_BITS);
    }
}
