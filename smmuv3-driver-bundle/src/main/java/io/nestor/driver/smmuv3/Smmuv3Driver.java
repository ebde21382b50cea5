package io.nestor.driver.smmuv3;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.ReservedRegion;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.driver.ViommuDescriptor;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.driver.smmuv3.host.Smmuv3HostDriver;
import io.nestor.driver.smmuv3.host.Smmuv3HwInfo;
import io.nestor.driver.smmuv3.hw.Smmuv3ConfigDecoder;
import io.nestor.driver.smmuv3.hw.Smmuv3FaultRecorder;
import io.nestor.driver.smmuv3.hw.Smmuv3PageRequestRecorder;
import io.nestor.driver.smmuv3.hw.Smmuv3StallPolicy;
import io.nestor.driver.smmuv3.hw.Smmuv3UnitReset;
import java.util.List;
import java.util.function.LongFunction;
import org.osgi.service.component.annotations.Component;

/**
 * The Arm SMMUv3 driver service: a stateless facade registered with Declarative Services under
 * {@code nestor.driver.kind=arm-smmuv3}. The hardware half lives in {@code io.nestor.driver.smmuv3.hw},
 * the host-driver half in {@code io.nestor.driver.smmuv3.host}; all unit state arrives in the
 * {@link UnitContext} of each call, so a replaced bundle resumes where the old one stopped.
 */
@Component(service = IommuDriver.class,
        property = IommuDriver.PROPERTY_KIND + "=" + IommuDriver.KIND_ARM_SMMUV3)
public final class Smmuv3Driver implements IommuDriver {

    @Override
    public String kind() {
        return KIND_ARM_SMMUV3;
    }

    @Override
    public void reset(UnitContext unit) {
        Smmuv3UnitReset.reset(unit);
    }

    @Override
    public byte[] recordFault(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        return Smmuv3FaultRecorder.record(unit, device, pasid, fault);
    }

    @Override
    public boolean stallsOnFault(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        return Smmuv3StallPolicy.stalls(unit, device, pasid, fault);
    }

    @Override
    public byte[] recordPageRequest(UnitContext unit, DeviceInfo device, PageRequest request) {
        return Smmuv3PageRequestRecorder.record(unit, device, request);
    }

    @Override
    public TranslationConfig decodeConfig(UnitContext unit, DeviceInfo device, int pasid) throws FaultException {
        return Smmuv3ConfigDecoder.decode(unit, device, pasid);
    }

    // ---- host-driver half ----------------------------------------------------------------------

    @Override
    public HwInfo hwInfo(UnitContext unit) {
        return Smmuv3HwInfo.read(unit);
    }

    @Override
    public DomainDescriptor allocPagingDomain(UnitContext unit, int flags) {
        return Smmuv3HostDriver.allocPagingDomain(unit, flags);
    }

    @Override
    public void freeDomain(UnitContext unit, DomainDescriptor domain) {
        Smmuv3HostDriver.freeDomain(unit, domain);
    }

    @Override
    public PageTableFormat pagingFormat(UnitContext unit, DomainDescriptor domain) {
        return Smmuv3HostDriver.pagingFormat(unit, domain);
    }

    @Override
    public void flushPagingRange(UnitContext unit, DomainDescriptor domain, long iova, long size,
            int[] dependentTags) {
        Smmuv3HostDriver.flushPagingRange(unit, domain, iova, size, dependentTags);
    }

    @Override
    public DomainDescriptor allocNestedDomain(UnitContext unit, DomainDescriptor parent, int flags, int dataType,
            byte[] data) {
        return Smmuv3HostDriver.allocNestedDomain(unit, parent, flags, dataType, data);
    }

    @Override
    public List<ReservedRegion> reservedRegions(UnitContext unit, DeviceInfo device) {
        return Smmuv3HostDriver.reservedRegions(unit, device);
    }

    @Override
    public void attachDevice(UnitContext unit, DeviceInfo device, DomainDescriptor domain) {
        Smmuv3HostDriver.attachDevice(unit, device, domain);
    }

    @Override
    public void detach(UnitContext unit, DeviceInfo device, int pasid) {
        Smmuv3HostDriver.detach(unit, device, pasid);
    }

    @Override
    public void pageResponse(UnitContext unit, DeviceInfo device, PageResponse response) {
        Smmuv3HostDriver.pageResponse(unit, device, response);
    }

    @Override
    public ViommuDescriptor allocViommu(UnitContext unit, DomainDescriptor parent, int type, byte[] data) {
        return Smmuv3HostDriver.allocViommu(unit, parent, type, data);
    }

    @Override
    public void freeViommu(UnitContext unit, ViommuDescriptor viommu) {
        Smmuv3HostDriver.freeViommu(unit, viommu);
    }

    @Override
    public DomainDescriptor allocNestedDomain(UnitContext unit, ViommuDescriptor viommu, int flags, int dataType,
            byte[] data) {
        return Smmuv3HostDriver.allocNestedDomain(unit, viommu, flags, dataType, data);
    }

    @Override
    public int invalidateViommu(UnitContext unit, ViommuDescriptor viommu, LongFunction<DeviceInfo> vdevices,
            int dataType, int entryLen, byte[] entries) {
        return Smmuv3HostDriver.invalidateViommu(unit, viommu, vdevices, dataType, entryLen, entries);
    }

    @Override
    public void setPasidTable(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] config) {
        Smmuv3HostDriver.setPasidTable(unit, device, parent, config);
    }

    @Override
    public void unsetPasidTable(UnitContext unit, DeviceInfo device, DomainDescriptor parent) {
        Smmuv3HostDriver.unsetPasidTable(unit, device, parent);
    }

    @Override
    public void cacheInvalidate(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] info) {
        Smmuv3HostDriver.cacheInvalidate(unit, device, parent, info);
    }
}
