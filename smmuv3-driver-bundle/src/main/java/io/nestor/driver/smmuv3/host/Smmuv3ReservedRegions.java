package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.ReservedRegion;
import io.nestor.api.driver.UnitContext;
import java.util.List;

/**
 * A device's reserved IOVA regions as Linux {@code arm_smmu_get_resv_regions} reports them
 * (arm-smmu-v3.c): the software MSI window {@code [MSI_IOVA_BASE, + MSI_IOVA_LENGTH)} =
 * {@code [0x8000000, 0x80fffff]} as {@code IOMMU_RESV_SW_MSI}, where the host maps MSI doorbells
 * through the SMMU. The firmware-described regions {@code iommu_dma_get_resv_regions} adds (IORT
 * RMRs, ITS windows) do not exist in Nestor's topology.
 */
final class Smmuv3ReservedRegions {
    static final long MSI_IOVA_BASE = 0x800_0000L;
    static final long MSI_IOVA_LENGTH = 0x10_0000L;

    static List<ReservedRegion> of(UnitContext unit, DeviceInfo device) {
        return List.of(new ReservedRegion(MSI_IOVA_BASE, MSI_IOVA_LENGTH, ReservedRegion.Type.SW_MSI));
    }

    private Smmuv3ReservedRegions() {
    }
}
