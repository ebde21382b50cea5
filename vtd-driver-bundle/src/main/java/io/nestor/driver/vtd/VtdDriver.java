package io.nestor.driver.vtd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.driver.vtd.host.VtdHwInfo;
import io.nestor.driver.vtd.hw.VtdConfigDecoder;
import io.nestor.driver.vtd.hw.VtdFaultRecorder;
import io.nestor.driver.vtd.hw.VtdPageRequestQueue;
import io.nestor.driver.vtd.hw.VtdUnitReset;
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
}
