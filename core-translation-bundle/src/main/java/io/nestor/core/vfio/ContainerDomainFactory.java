package io.nestor.core.vfio;

import io.nestor.api.error.IommuException;
import io.nestor.core.unit.IommuUnit;

/** Makes the per-unit stage-2 domains of type1 containers ({@code iommu_domain_alloc} for type1). */
public interface ContainerDomainFactory {

    /**
     * Allocates a paging domain on {@code unit}.
     *
     * @param hwptFlags {@code IOMMU_HWPT_ALLOC_*} flags: NEST_PARENT in TYPE1_NESTING mode
     * @throws IommuException the driver's errno; nothing is left allocated then
     */
    ContainerDomain allocate(IommuUnit unit, int hwptFlags);
}
