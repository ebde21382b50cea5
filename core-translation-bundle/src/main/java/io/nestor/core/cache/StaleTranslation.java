package io.nestor.core.cache;

/**
 * A strict-mode diagnostic: an IOTLB hit that no longer matches the tables in memory, i.e. the
 * guest or host changed a mapping and did not invalidate it (or the core under-invalidated).
 *
 * @param cached the packed entry the IOTLB returned (and the DMA used, as hardware would)
 * @param fresh the packed entry a fresh walk produced, {@link IotlbEntry#MISS} if it faults
 */
public record StaleTranslation(int unit, int domainTag, int addressSpaceTag, IotlbKind kind, long iova,
        long cached, long fresh) {

    @Override
    public String toString() {
        return String.format("stale %s translation on unit %d, domain tag %d, address-space tag %d, iova 0x%x:"
                + " cached %s, fresh %s", kind, unit, domainTag, addressSpaceTag, iova,
                IotlbEntry.toString(cached), IotlbEntry.toString(fresh));
    }
}
