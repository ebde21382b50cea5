package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.ReservedRegion;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.driver.ViommuDescriptor;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.PageResponse;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The entry points of the SMMUv3 host-driver half, one per {@code IommuDriver} operation, each
 * delegating to the class that owns the concept. Stateless: everything lives in the unit's
 * registers and memory and in the descriptors the core keeps.
 *
 * <p>Lock order: the unit's register lock is taken by bring-up, STE installation and command
 * submission, reentrantly; nothing else is locked.
 */
public final class Smmuv3HostDriver {

    public static DomainDescriptor allocPagingDomain(UnitContext unit, int flags) {
        return Smmuv3PagingDomains.alloc(unit, flags);
    }

    public static void freeDomain(UnitContext unit, DomainDescriptor domain) {
        Smmuv3PagingDomains.free(unit, domain);
    }

    public static PageTableFormat pagingFormat(UnitContext unit, DomainDescriptor domain) {
        return Smmuv3PagingDomains.format(unit, domain);
    }

    public static void flushPagingRange(UnitContext unit, DomainDescriptor domain, long iova, long size,
            int[] dependentTags) {
        Smmuv3PagingFlush.flush(unit, domain, iova, size, dependentTags);
    }

    public static DomainDescriptor allocNestedDomain(UnitContext unit, DomainDescriptor parent, int flags,
            int dataType, byte[] data) {
        return Smmuv3NestedDomains.allocOnParent(unit, parent, flags, dataType, data);
    }

    public static List<ReservedRegion> reservedRegions(UnitContext unit,
            DeviceInfo device) {
        return Smmuv3ReservedRegions.of(unit, device);
    }

    public static void attachDevice(UnitContext unit, DeviceInfo device, DomainDescriptor domain) {
        Smmuv3DeviceAttach.attach(unit, device, domain);
    }

    public static void detach(UnitContext unit, DeviceInfo device, int pasid) {
        Smmuv3DeviceAttach.detach(unit, device, pasid);
    }

    public static void pageResponse(UnitContext unit, DeviceInfo device, PageResponse response) {
        Smmuv3PageResponses.respond(unit, device, response);
    }

    public static ViommuDescriptor allocViommu(UnitContext unit, DomainDescriptor parent, int type, byte[] data) {
        return Smmuv3NestedDomains.allocViommu(unit, parent, type, data);
    }

    public static void freeViommu(UnitContext unit, ViommuDescriptor viommu) {
        Smmuv3NestedDomains.freeViommu(unit, viommu);
    }

    public static DomainDescriptor allocNestedDomain(UnitContext unit, ViommuDescriptor viommu, int flags,
            int dataType, byte[] data) {
        return Smmuv3NestedDomains.allocOnViommu(unit, viommu, flags, dataType, data);
    }

    public static int invalidateViommu(UnitContext unit, ViommuDescriptor viommu, LongFunction<DeviceInfo> vdevices,
            int dataType, int entryLen, byte[] entries) {
        return Smmuv3ViommuInvalidation.invalidate(unit, viommu, vdevices, dataType, entryLen, entries);
    }

    public static void setPasidTable(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] config) {
        Smmuv3PasidTableBinding.set(unit, device, parent, config);
    }

    public static void unsetPasidTable(UnitContext unit, DeviceInfo device, DomainDescriptor parent) {
        Smmuv3PasidTableBinding.unset(unit, device, parent);
    }

    public static void cacheInvalidate(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] info) {
        Smmuv3GuestCacheInvalidation.invalidate(unit, device, parent, info);
    }

    private Smmuv3HostDriver() {
    }
}
