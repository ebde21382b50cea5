package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.ReservedRegion;
import io.nestor.api.driver.UnitContext;
import java.util.List;

/**
 * A device's reserved IOVA regions as Linux {@code intel_iommu_get_resv_regions} reports them
 * (drivers/iommu/intel/iommu.c): the interrupt address range {@code [0xfee00000, 0xfeefffff]}
 * ({@code IOAPIC_RANGE_START} / {@code _END}) as {@code IOMMU_RESV_MSI} — DMA writes there are
 * interrupt requests, never translated. Nestor's topology declares no RMRRs, so there is nothing
 * else.
 */
public final class VtdReservedRegions {
    static final long IOAPIC_RANGE_START = 0xfee0_0000L;
    static final long IOAPIC_RANGE_END = 0xfeef_ffffL;

    public static List<ReservedRegion> of(UnitContext unit, DeviceInfo device) {
        return List.of(new ReservedRegion(IOAPIC_RANGE_START, IOAPIC_RANGE_END - IOAPIC_RANGE_START + 1,
                ReservedRegion.Type.MSI));
    }

    private VtdReservedRegions() {
    }
}
