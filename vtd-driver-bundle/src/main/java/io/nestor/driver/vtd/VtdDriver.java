package io.nestor.driver.vtd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.ReservedRegion;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.driver.vtd.host.VtdDomainAttach;
import io.nestor.driver.vtd.host.VtdGuestCacheInvalidation;
import io.nestor.driver.vtd.host.VtdGuestPasidBinding;
import io.nestor.driver.vtd.host.VtdHwInfo;
import io.nestor.driver.vtd.host.VtdNestedDomains;
import io.nestor.driver.vtd.host.VtdPageResponder;
import io.nestor.driver.vtd.host.VtdPagingDomains;
import io.nestor.driver.vtd.host.VtdPagingFlush;
import io.nestor.driver.vtd.host.VtdReservedRegions;
import io.nestor.driver.vtd.host.VtdUserInvalidation;
import io.nestor.driver.vtd.hw.VtdConfigDecoder;
import io.nestor.driver.vtd.hw.VtdFaultRecorder;
import io.nestor.driver.vtd.hw.VtdPageRequestQueue;
import io.nestor.driver.vtd.hw.VtdUnitReset;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * The Intel VT-d driver service: a stateless facade registered with Declarative Services under
 * {@code nestor.driver.kind=intel-vtd}. The hardware half lives in {@code io.nestor.driver.vtd.hw},
 * the host-driver half in {@code io.nestor.driver.vtd.host}; all unit state arrives in the
 * {@link UnitContext} of each call, so a replaced bundle resumes where the old one stopped.
 */
@Component(service = IommuDriver.class,
        property = IommuDriver.PROPERTY_KIND + "=" + IommuDriver.KIND_INTEL_VTD)
public final class VtdDriver implements IommuDriver {

    @Override
    public String kind() {
        return KIND_INTEL_VTD;
    }

    @Override
    public void reset(UnitContext unit) {
        VtdUnitReset.reset(unit);
    }

    @Override
    public TranslationConfig decodeConfig(UnitContext unit, DeviceInfo device, int pasid) throws FaultException {
        return VtdConfigDecoder.decode(unit, device, pasid);
    }

    @Override
    public byte[] recordFault(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        return VtdFaultRecorder.record(unit, device, pasid, fault);
    }

    @Override
    public byte[] recordPageRequest(UnitContext unit, DeviceInfo device, PageRequest request) {
        return VtdPageRequestQueue.record(unit, device, request);
    }

    @Override
    public HwInfo hwInfo(UnitContext unit) {
        return VtdHwInfo.read(unit);
    }

    // ---- host-driver half: each operation delegates to one class of io.nestor.driver.vtd.host ----

    @Override
    public DomainDescriptor allocPagingDomain(UnitContext unit, int flags) {
        return VtdPagingDomains.allocate(unit, flags);
    }

    @Override
    public void freeDomain(UnitContext unit, DomainDescriptor domain) {
        if (domain.nested()) {
            VtdNestedDomains.free(unit, domain);
        } else {
            VtdPagingDomains.free(unit, domain);
        }
    }

    @Override
    public PageTableFormat pagingFormat(UnitContext unit, DomainDescriptor domain) {
        return VtdPagingDomains.format(unit, domain);
    }

    @Override
    public void flushPagingRange(UnitContext unit, DomainDescriptor domain, long iova, long size,
            int[] dependentTags) {
        VtdPagingFlush.flush(unit, domain, iova, size, dependentTags);
    }

    @Override
    public DomainDescriptor allocNestedDomain(UnitContext unit, DomainDescriptor parent, int flags, int dataType,
            byte[] data) {
        return VtdNestedDomains.allocate(unit, parent, flags, dataType, data);
    }

    @Override
    public List<ReservedRegion> reservedRegions(UnitContext unit, DeviceInfo device) {
        return VtdReservedRegions.of(unit, device);
    }

    @Override
    public void attachDevice(UnitContext unit, DeviceInfo device, DomainDescriptor domain) {
        VtdDomainAttach.attachDevice(unit, device, domain);
    }

    @Override
    public void attachPasid(UnitContext unit, DeviceInfo device, int pasid, DomainDescriptor domain) {
        VtdDomainAttach.attachPasid(unit, device, pasid, domain);
    }

    @Override
    public void detach(UnitContext unit, DeviceInfo device, int pasid) {
        VtdDomainAttach.detach(unit, device, pasid);
    }

    @Override
    public int invalidateUser(UnitContext unit, DomainDescriptor domain, int dataType, int entryLen, byte[] entries) {
        return VtdUserInvalidation.invalidate(unit, domain, dataType, entryLen, entries);
    }

    @Override
    public void pageResponse(UnitContext unit, DeviceInfo device, PageResponse response) {
        VtdPageResponder.respond(unit, device, response);
    }

    @Override
    public void bindGuestPasid(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] bindData) {
        VtdGuestPasidBinding.bind(unit, device, parent, bindData);
    }

    @Override
    public void unbindGuestPasid(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] bindData) {
        VtdGuestPasidBinding.unbind(unit, device, parent, bindData);
    }

    @Override
    public void cacheInvalidate(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] info) {
        VtdGuestCacheInvalidation.invalidate(unit, device, parent, info);
    }
}
