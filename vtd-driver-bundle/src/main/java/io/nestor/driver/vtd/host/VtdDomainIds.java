package io.nestor.driver.vtd.host;

import io.nestor.api.driver.UnitContext;

/**
 * The unit's domain-id space as Linux {@code drivers/iommu/intel/iommu.h} manages it, kept in the
 * core's id space {@value #SPACE} because the driver keeps no state.
 *
 * <p>Reserved, never handed to a domain: DID 0, which a Caching Mode unit tags cached invalid
 * translations with and which Linux uses as the "no id" marker, and DID 1 ({@code FLPT_DEFAULT_DID}),
 * which Linux programs in every first-stage-only and pass-through PASID entry without a domain of its
 * own, because VT-d spec 6.2.3.1 wants those entries tagged apart from second-stage and nested
 * ones. Domains take ids from {@code IDA_START_DID} = 2 up to {@code cap_ndoms - 1}.
 */
public final class VtdDomainIds {

    /** The core id space holding this unit's DIDs. */
    public static final String SPACE = "did";
    /** Linux {@code FLPT_DEFAULT_DID}. */
    public static final int FLPT_DEFAULT_DID = 1;
    /** Linux {@code IDA_START_DID}. */
    public static final int FIRST_DOMAIN_DID = 2;

    /**
     * Allocates the lowest free DID of the unit.
     *
     * @throws io.nestor.api.error.IommuException ENOSPC when every DID is taken
     */
    public static int allocate(UnitContext unit, VtdUnitCapabilities caps) {
        return unit.allocateId(SPACE, FIRST_DOMAIN_DID, caps.domainCount() - 1);
    }

    public static void free(UnitContext unit, int did) {
        unit.freeId(SPACE, did);
    }

    private VtdDomainIds() {
    }
}
