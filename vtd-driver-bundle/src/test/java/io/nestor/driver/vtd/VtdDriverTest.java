package io.nestor.driver.vtd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import org.junit.jupiter.api.Test;

class VtdDriverTest {

    private final VtdDriver driver = new VtdDriver();
    private final DeviceInfo device = new DeviceInfo("0000:00:02.0", "dmar0", 0x10, 20, false, false, true, true);

    @Test
    void kindIsIntelVtd() {
        assertEquals("intel-vtd", driver.kind());
        assertEquals(IommuDriver.KIND_INTEL_VTD, driver.kind());
    }

    @Test
    void translationDisabledAfterResetMeansBypass() throws Exception {
        TestUnit unit = TestUnit.of(Features.typical().build());
        driver.reset(unit);
        TranslationConfig config = driver.decodeConfig(unit, device, DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.BYPASS, config.mode());
        assertEquals(TranslationConfig.bypass(0), config);
        assertEquals(TranslationMode.BYPASS, driver.decodeConfig(unit, device, 5).mode());
    }

    @Test
    void translationEnabledWithLegacyRootTableIsAConfigurationFault() {
        TestUnit unit = TestUnit.of(Features.typical().build());
        driver.reset(unit);
        // GCMD.TE | SRTP with RTADDR 0: RTADDR.TTM = 00 latched
        io.nestor.driver.vtd.hw.VtdMmio.write32(unit, 0x18, 0x80000000 | 0x40000000);
        FaultException e = assertThrows(FaultException.class,
                () -> driver.decodeConfig(unit, device, DeviceInfo.NO_PASID));
        assertEquals(FaultReason.CONFIGURATION, e.fault().reason());
        assertEquals(0x31, e.fault().vendorReason()); // RTA.2: legacy TTM, no memory touched
    }

    @Test
    void otherStatusBitsDoNotEnableTranslation() throws Exception {
        TestUnit unit = TestUnit.of(Features.typical().build());
        driver.reset(unit);
        unit.registers().write32(0x1C, 0x7F800000); // every status bit below TES
        assertEquals(TranslationMode.BYPASS, driver.decodeConfig(unit, device, DeviceInfo.NO_PASID).mode());
    }

    @Test
    void unimplementedOperationsAnswerEopnotsupp() {
        TestUnit unit = TestUnit.of(Features.typical().build());
        // the vIOMMU operations are not part of the VT-d driver yet
        IommuException e = assertThrows(IommuException.class, () -> driver.allocViommu(unit, null, 0, new byte[0]));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
    }
}
