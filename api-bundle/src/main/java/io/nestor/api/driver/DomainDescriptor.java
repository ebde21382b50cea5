package io.nestor.api.driver;

/**
 * A domain as a driver allocated it, kept by the core: plain numbers and bytes, so that it survives
 * the driver that made it.
 *
 * @param nested whether this is a nested (stage-1 over a parent) domain
 * @param tag the hardware tag: VT-d DID, SMMU VMID (paging) or ASID source (nested)
 * @param rootAddress the root table's address (host physical for paging domains)
 * @param addressWidth the domain's input address width in bits
 * @param flags the {@code IOMMU_HWPT_ALLOC_*} flags it was created with
 * @param vendorData driver-defined bytes describing the domain: for a nested domain the vendor
 *     structure it was created from, followed by whatever the driver derived and needs again later
 *     (for example the parent's tag and root); empty for paging domains
 */
public record DomainDescriptor(boolean nested, int tag, long rootAddress, int addressWidth, int flags,
        byte[] vendorData) {

    public DomainDescriptor {
        vendorData = vendorData.clone();
    }

    @Override
    public byte[] vendorData() {
        return vendorData.clone();
    }
}
