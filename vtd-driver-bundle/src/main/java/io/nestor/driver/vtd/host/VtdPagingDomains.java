package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.vtd.hw.VtdCapabilityRegister;
import io.nestor.driver.vtd.hw.format.VtdSecondStageFormat;

/**
 * Second-stage paging domains, as Linux {@code intel_iommu_domain_alloc_second_stage()} and
 * {@code paging_domain_alloc()} create them (drivers/iommu/intel/iommu.c).
 *
 * <p>Check order and errno, all before anything is allocated: flags outside NEST_PARENT |
 * DIRTY_TRACKING | PASID, EOPNOTSUPP; NEST_PARENT on a unit without nesting, or DIRTY_TRACKING without
 * second-stage A/D, EOPNOTSUPP; a scalable-mode unit without second-stage translation, EOPNOTSUPP.
 * Then a DID (ENOSPC when the space is full) and the root table page; a failed page allocation
 * returns the DID, so a failure leaves nothing behind.
 *
 * <p>Where Nestor differs from Linux, on purpose: Linux prefers a first-stage table for a plain
 * paging domain and takes the DID only when the domain is first attached to a unit; Nestor's
 * paging domains are always second stage (any of them can serve as a nest parent and the core's
 * mapping code sees one format) and carry their DID from allocation, since the driver has nowhere
 * else to keep it. The descriptor's {@code addressWidth} is Linux's {@code domain->gaw} (the unit's
 * agaw width capped at MGAW); its {@code rootAddress} the top-level table.
 */
public final class VtdPagingDomains {

    private static final int SUPPORTED_FLAGS = IommuHwptAllocFlags.NEST_PARENT
            | IommuHwptAllocFlags.DIRTY_TRACKING | IommuHwptAllocFlags.PASID;

    public static DomainDescriptor allocate(UnitContext unit, int flags) {
        int driverFlags = flags & ~IommuHwptAllocFlags.FAULT_ID_VALID;
        if ((driverFlags & ~SUPPORTED_FLAGS) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: paging domain flags 0x%x name unsupported bits 0x%x",
                    unit.name(), flags, driverFlags & ~SUPPORTED_FLAGS);
        }
        VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
        if ((flags & IommuHwptAllocFlags.NEST_PARENT) != 0 && !caps.nestedSupported()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: NEST_PARENT needs nested translation (ECAP.NEST)",
                    unit.name());
        }
        if ((flags & IommuHwptAllocFlags.DIRTY_TRACKING) != 0 && !caps.ssadsSupported()) {
            throw IommuException.of(Errno.EOPNOTSUPP,
                    "%s: DIRTY_TRACKING needs second-stage A/D (ECAP.SSADS and SMPWCS)", unit.name());
        }
        if (caps.scalableMode() && !caps.secondStageSupported()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: no second-stage translation (ECAP.SSTS)", unit.name());
        }
        if (caps.agaw() < 1) {
            throw IommuException.of(Errno.ENODEV, "%s: CAP.SAGAW 0x%x names no second-stage depth", unit.name(),
                    VtdCapabilityRegister.SAGAW.extract(caps.cap()));
        }
        int did = VtdDomainIds.allocate(unit, caps);
        long root;
        try {
            root = unit.allocatePages(1);
        } catch (RuntimeException e) {
            VtdDomainIds.free(unit, did);
            throw e;
        }
        return new DomainDescriptor(false, did, root, caps.domainAddressWidth(), flags, new byte[0]);
    }

    /**
     * The second-stage format of a paging domain: depth from its address width (the AW field its
     * PASID entries carry), output bounded by the host address width, superpages as CAP.SLLPS
     * allows, A/D bits in use when it was allocated for dirty tracking.
     */
    public static VtdSecondStageFormat format(UnitContext unit, DomainDescriptor domain) {
        if (domain.nested()) {
            throw IommuException.of(Errno.EINVAL, "%s: domain DID %d is nested, not a paging domain", unit.name(),
                    domain.tag());
        }
        VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
        long sllps = VtdCapabilityRegister.SLLPS.extract(caps.cap());
        return new VtdSecondStageFormat(tableWidth(domain), caps.hostAddressWidth(),
                (sllps & VtdCapabilityRegister.SLLPS_2M) != 0, (sllps & VtdCapabilityRegister.SLLPS_1G) != 0,
                (domain.flags() & IommuHwptAllocFlags.DIRTY_TRACKING) != 0, false);
    }

    /** The AW field for a paging domain's tables: {@code width_to_agaw(gaw)}. */
    public static int awField(DomainDescriptor paging) {
        return VtdUnitCapabilities.widthToAgaw(paging.addressWidth());
    }

    /** The input width of the domain's tables: 39, 48 or 57 bits. */
    public static int tableWidth(DomainDescriptor paging) {
        return VtdUnitCapabilities.agawToWidth(awField(paging));
    }

    /** Frees what {@link #allocate} took: the root table page and the DID. */
    public static void free(UnitContext unit, DomainDescriptor domain) {
        unit.freePages(domain.rootAddress(), 1);
        VtdDomainIds.free(unit, domain.tag());
    }

    private VtdPagingDomains() {
    }
}
