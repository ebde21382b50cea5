package io.nestor.driver.smmuv3;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.driver.smmuv3.host.Smmuv3HwInfo;
import io.nestor.driver.smmuv3.hw.Smmuv3ConfigDecoder;
import io.nestor.driver.smmuv3.hw.Smmuv3FaultRecorder;
import io.nestor.driver.smmuv3.hw.Smmuv3PageRequestRecorder;
import io.nestor.driver.smmuv3.hw.Smmuv3UnitReset;
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
    public byte[] recordPageRequest(UnitContext unit, DeviceInfo device, PageRequest request) {
        return Smmuv3PageRequestRecorder.record(unit, device, request);
    }

    @Override
    public TranslationConfig decodeConfig(UnitContext unit, DeviceInfo device, int pasid) throws FaultException {
        return Smmuv3ConfigDecoder.decode(unit, device, pasid);
    }

    @Override
    public HwInfo hwInfo(UnitContext unit) {
        return Smmuv3HwInfo.read(unit);
    }
}
