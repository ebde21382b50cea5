package io.nestor.api.driver;

import java.util.Objects;

/**
 * A vIOMMU as a driver allocated it ({@code IOMMU_VIOMMU_ALLOC}), kept by the core: the
 * virtualisation context of one VM on one unit, owner of the VMID that its nested domains share.
 *
 * @param type the {@code enum iommu_viommu_type} value ({@value #TYPE_ARM_SMMUV3} for SMMUv3)
 * @param tag the hardware tag it owns (SMMU VMID)
 * @param parent the nest-parent paging domain (stage 2) it was created over
 */
public record ViommuDescriptor(int type, int tag, DomainDescriptor parent) {

    public static final int TYPE_DEFAULT = 0;
    public static final int TYPE_ARM_SMMUV3 = 1;

    public ViommuDescriptor {
        Objects.requireNonNull(parent, "parent");
    }
}
