package io.nestor.driver.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.testkit.MapPhysicalMemory;
import org.junit.jupiter.api.Test;

class Smmuv3DriverTest {

    private final Smmuv3Driver driver = new Smmuv3Driver();
    private final DeviceInfo device = new DeviceInfo("0000:01:00.0", "smmu0", 0x100, 20, false, false, true, true);

    private TestUnit resetUnit() {
        TestUnit unit = TestUnit.of(Features.typical().build());
        driver.reset(unit);
        return unit;
    }

    @Test
    void kindIsArmSmmuv3() {
        assertEquals("arm-smmuv3", driver.kind());
        assertEquals(IommuDriver.KIND_ARM_SMMUV3, driver.kind());
    }

    @Test
    void disabledSmmuBypassesAfterReset() throws Exception {
        TestUnit unit = resetUnit();
        TranslationConfig config = driver.decodeConfig(unit, device, DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.BYPASS, config.mode());
        assertEquals(TranslationConfig.bypass(0), config);
    }

    @Test
    void disabledSmmuAbortsWhenGbpaAbortIsSet() throws Exception {
        TestUnit unit = resetUnit();
        unit.registers().write32(0x44, 0x1000 | (1 << 20));
        assertEquals(TranslationConfig.abort(), driver.decodeConfig(unit, device, DeviceInfo.NO_PASID));
        assertEquals(TranslationMode.ABORT, driver.decodeConfig(unit, device, 3).mode());
    }

    @Test
    void otherCr0BitsDoNotEnableTheSmmu() throws Exception {
        TestUnit unit = resetUnit();
        unit.registers().write32(0x20, 0x1E); // PRIQEN | EVTQEN | CMDQEN | ATSCHK
        assertEquals(TranslationMode.BYPASS, driver.decodeConfig(unit, device, DeviceInfo.NO_PASID).mode());
    }

    @Test
    void enabledSmmuReadsTheStreamTable() throws Exception {
        MapPhysicalMemory memory = new MapPhysicalMemory(48);
        TestUnit unit = TestUnit.withMemory(Features.typical().build(), memory);
        driver.reset(unit);
        unit.registers().write64(0x80, 0x10000); // STRTAB_BASE
        unit.registers().write32(0x88, 12); // linear, LOG2SIZE 12
        memory.write64(0x10000 + 0x100 * 64, 1 | (0b100 << 1)); // STE for SID 0x100: V, bypass
        unit.registers().write32(0x20, 1); // CR0.SMMUEN
        assertEquals(TranslationConfig.bypass(0), driver.decodeConfig(unit, device, DeviceInfo.NO_PASID));
        memory.write64(0x10000 + 0x100 * 64, 0); // V = 0: C_BAD_STE
        FaultException e = assertThrows(FaultException.class,
                () -> driver.decodeConfig(unit, device, DeviceInfo.NO_PASID));
        assertEquals(0x04, e.fault().vendorReason());
    }

    @Test
    void unimplementedOperationsAnswerEopnotsupp() {
        IommuException e = assertThrows(IommuException.class, () -> driver.attachPasid(resetUnit(), device, 1, null));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
    }
}
