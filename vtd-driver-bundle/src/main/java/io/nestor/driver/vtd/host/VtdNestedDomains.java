package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;

/**
 * Nested (stage-1 over a second-stage parent) domains from {@code struct iommu_hwpt_vtd_s1}, as
 * Linux {@code intel_iommu_domain_alloc_nested()} (drivers/iommu/intel/nested.c) creates them.
 *
 * <p>Check order and errno: a unit without nesting, or flags other than IOMMU_HWPT_ALLOC_PASID
 * (FAULT_ID_VALID is iommufd's and ignored), EOPNOTSUPP; a data type other than IOMMU_HWPT_DATA_VTD_S1, EOPNOTSUPP; a parent that is not a
 * second-stage paging domain allocated with NEST_PARENT, EINVAL; data that is not exactly 24 bytes,
 * EINVAL ({@link IommuHwptVtdS1#parse}). Then the nested domain's own DID (ENOSPC when full). As in
 * Linux, {@code addr_width}, SRE and EAFE are checked against the unit when the domain is attached
 * ({@link VtdPasidSetup#nested}), not here.
 *
 * <p>The nested domain gets its own DID, as Linux gives it one ({@code domain_attach_iommu} on the
 * nested domain): its PASID entries are tagged with it, so two nested domains over one parent never
 * share IOTLB entries. Linux takes it at first attach; Nestor at allocation, having nowhere to
 * count attachments. A change to the parent's second stage must therefore also be invalidated
 * under each nested child's DID, what Linux's {@code parent_domain_flush()} does over
 * {@code s2_domain->s1_domains}.
 */
public final class VtdNestedDomains {

    public static DomainDescriptor allocate(UnitContext unit, DomainDescriptor parent, int flags, int dataType,
            byte[] data) {
        VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
        if (!caps.nestedSupported()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: no nested translation (ECAP.NEST)", unit.name());
        }
        // iommufd_hwpt_nested_alloc() masks FAULT_ID_VALID away before calling the driver
        if ((flags & ~(IommuHwptAllocFlags.PASID | IommuHwptAllocFlags.FAULT_ID_VALID)) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: nested domain flags 0x%x, only ALLOC_PASID (0x%x) allowed",
                    unit.name(), flags, IommuHwptAllocFlags.PASID);
        }
        if (dataType != IommuHwptVtdS1.DATA_TYPE) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: nested data type %d, only IOMMU_HWPT_DATA_VTD_S1 (%d)",
                    unit.name(), dataType, IommuHwptVtdS1.DATA_TYPE);
        }
        if (parent == null || parent.nested() || (parent.flags() & IommuHwptAllocFlags.NEST_PARENT) == 0) {
            throw IommuException.of(Errno.EINVAL, "%s: parent %s is not a paging domain allocated with NEST_PARENT",
                    unit.name(), parent == null ? "null" : "DID " + parent.tag());
        }
        IommuHwptVtdS1 s1 = IommuHwptVtdS1.parse(data);
        int did = VtdDomainIds.allocate(unit, caps);
        byte[] vendor = new VtdNestedDomainData(s1, parent).encode();
        return new DomainDescriptor(true, did, s1.pgtblAddr(), s1.addrWidth(), flags, vendor);
    }

    /** A nested domain owns only its DID; the parent's tables are the parent's. */
    public static void free(UnitContext unit, DomainDescriptor nested) {
        VtdDomainIds.free(unit, nested.tag());
    }

    private VtdNestedDomains() {
    }
}
