package io.nestor.driver.vtd.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.VtdDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fault records as the hardware writes them: the bytes of each record computed by hand from the
 * layout of {@code hw-formats.md} 1.8 (and checked against how Linux {@code dmar_fault} decodes
 * them), FSTS / FECTL bookkeeping, overflow, write-1-to-clear through {@link VtdMmio}, and fault
 * processing disable.
 */
class VtdFaultRecorderTest {

    private static final int RECORDS = VtdRegisterOffsets.FAULT_RECORDS;
    private static final long ROOT = 0x10_0000L;
    private static final long CTX = 0x10_1000L;
    private static final long DIR = 0x10_2000L;
    private static final long TABLE = 0x10_3000L;

    private final VtdDriver driver = new VtdDriver();
    private MemoryTestUnit unit;
    private final DeviceInfo device = new DeviceInfo("0000:03:02.2", "dmar0", 0x0312, 20, true, true, true, true);
    private final DeviceInfo other = new DeviceInfo("0000:00:00.1", "dmar0", 0x0001, 0, false, false, false, false);

    @BeforeEach
    void resetUnit() {
        unit = MemoryTestUnit.of(Features.typical().build());
        VtdUnitReset.reset(unit);
    }

    private static Fault walkFault(FaultStage stage, FaultReason reason, int level, int access, long iova) {
        return new Fault(stage, reason, level, access, iova, iova, false, 0);
    }

    private int fsts() {
        return unit.registers().read32(VtdRegisterOffsets.FSTS);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void firstStageWriteFaultWithPasid() {
        // FR 0x71, SID 0x0312, PRIV, PP, PV 0x1234, T1 = 0 (write), F.
        // low = 0x00007FFF12345000; high = 0x80123471A0000312.
        byte[] record = driver.recordFault(unit, device, 0x1234,
                walkFault(FaultStage.STAGE1, FaultReason.TRANSLATION, 0, Access.WRITE | Access.PRIV, 0x7FFF_1234_5678L));
        byte[] expected = bytes(0x00, 0x50, 0x34, 0x12, 0xFF, 0x7F, 0x00, 0x00,
                0x12, 0x03, 0x00, 0xA0, 0x71, 0x34, 0x12, 0x80);
        assertArrayEquals(expected, record);
        assertEquals(0x0000_7FFF_1234_5000L, unit.registers().read64(RECORDS));
        assertEquals(0x8012_3471_A000_0312L, unit.registers().read64(RECORDS + 8));
        // what Linux reads: the dword at +12 and at +8
        int hi = unit.registers().read32(RECORDS + 12);
        assertEquals(0x71, hi & 0xFF);
        assertEquals(0x1234, (hi >>> 8) & 0xFFFFF);
        assertEquals(0, (hi >>> 30) & 1, "write");
        assertEquals(VtdFaultStatusRegister.PPF, fsts(), "PPF, FRI 0");
        assertEquals(VtdEventInterrupt.IM | VtdEventInterrupt.IP, unit.registers().read32(VtdRegisterOffsets.FECTL));
    }

    @Test
    void configurationReadFaultWithoutPasid() {
        // FI 0xABC000; FR 0x59, SID 0x0001, EXE (bit 94), T1 = 1 (read), F; no PASID: PP = 0, PV = 0.
        // high = 0xC000005940000001.
        byte[] record = driver.recordFault(unit, other, DeviceInfo.NO_PASID,
                Fault.config(VtdScalableFaultReason.SPT_NOT_PRESENT, Access.READ | Access.EXEC, 0xABCDEFL));
        assertArrayEquals(bytes(0x00, 0xC0, 0xAB, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x01, 0x00, 0x00, 0x40, 0x59, 0x00, 0x00, 0xC0), record);
    }

    @Test
    void recordsFillRoundRobinThenOverflow() {
        Fault f = walkFault(FaultStage.STAGE2, FaultReason.TRANSLATION, 0, Access.READ, 0x1000);
        for (int i = 0; i < VtdRegisterOffsets.FAULT_RECORD_COUNT; i++) {
            assertEquals(16, driver.recordFault(unit, other, DeviceInfo.NO_PASID, f).length);
            assertEquals(0x79, unit.registers().read32(RECORDS + 16 * i + 12) & 0xFF);
        }
        assertEquals(VtdFaultStatusRegister.PPF, fsts(), "FRI stays at the first record");
        // slot 0 still pending: overflow, dropped
        assertEquals(0, driver.recordFault(unit, other, DeviceInfo.NO_PASID, f).length);
        assertEquals(VtdFaultStatusRegister.PPF | VtdFaultStatusRegister.PFO, fsts());
        // software handles record 0 (Linux: writel(DMA_FRCD_F, reg + 12)); PFO still drops faults
        VtdMmio.write32(unit, RECORDS + 12, 0x8000_0000);
        assertEquals(0, unit.registers().read64(RECORDS + 8) >>> 63);
        assertEquals(0, driver.recordFault(unit, other, DeviceInfo.NO_PASID, f).length);
        // clearing PFO lets the next fault into record 0
        VtdMmio.write32(unit, VtdRegisterOffsets.FSTS, VtdFaultStatusRegister.PFO);
        assertEquals(VtdFaultStatusRegister.PPF, fsts());
        Fault g = walkFault(FaultStage.STAGE1, FaultReason.TRANSLATION, 0, Access.READ, 0x2000);
        assertEquals(16, driver.recordFault(unit, other, DeviceInfo.NO_PASID, g).length);
        assertEquals(0x71, unit.registers().read32(RECORDS + 12) & 0xFF);
        assertEquals(0x2000, unit.registers().read64(RECORDS));
    }

    @Test
    void clearingEveryRecordClearsPpfAndThePendingEvent() {
        Fault f = walkFault(FaultStage.STAGE2, FaultReason.TRANSLATION, 0, Access.READ, 0x1000);
        driver.recordFault(unit, other, DeviceInfo.NO_PASID, f);
        driver.recordFault(unit, other, DeviceInfo.NO_PASID, f);
        VtdMmio.write64(unit, RECORDS + 8, 1L << 63); // 64-bit write of F
        assertEquals(VtdFaultStatusRegister.PPF, fsts(), "record 1 still pending");
        VtdMmio.write32(unit, RECORDS + 16 + 8, -1); // the lower dword: F is not in it
        assertEquals(VtdFaultStatusRegister.PPF, fsts());
        VtdMmio.write32(unit, RECORDS + 16 + 12, 0x8000_0000);
        assertEquals(0, fsts());
        assertEquals(VtdEventInterrupt.IM, unit.registers().read32(VtdRegisterOffsets.FECTL));
        // the next fault goes to record 2 and FRI says so
        driver.recordFault(unit, other, DeviceInfo.NO_PASID, f);
        assertEquals(VtdFaultStatusRegister.PPF | 2 << VtdFaultStatusRegister.FRI_SHIFT, fsts());
    }

    // ---- fault processing disable ------------------------------------------------------------------

    /** Root -> context for SID 0x0312 (bus 3, devfn 0x12), PASIDs enabled, directory at DIR. */
    private void structures(long contextQ0Extra) {
        VtdMmio.write64(unit, VtdRegisterOffsets.RTADDR, ROOT | 1L << 10);
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, VtdMmio.GCMD_TE | VtdMmio.GCMD_SRTP);
        unit.memory().write64(ROOT + 3 * 16, CTX | 1);
        unit.memory().write64(CTX + 0x12 * 32, DIR | 0x8 | 1 | contextQ0Extra);
        unit.memory().write64(DIR, TABLE | 1);
    }

    @Test
    void contextFpdSuppressesQualifiedFaultsOnly() {
        structures(0x2);
        Fault qualified = walkFault(FaultStage.STAGE1, FaultReason.TRANSLATION, 0, Access.READ, 0x1000);
        assertEquals(0, driver.recordFault(unit, device, 5, qualified).length);
        assertEquals(0, fsts());
        // root-entry faults are never qualified
        byte[] r = driver.recordFault(unit, device, 5, Fault.config(VtdScalableFaultReason.SRT_NOT_PRESENT, Access.READ, 0));
        assertEquals(16, r.length);
        assertEquals(0x39, r[12]);
    }

    @Test
    void torndownPasidEntryKeepingFpdSuppressesItsFaults() {
        structures(0);
        unit.memory().write64(TABLE + 5 * 64, 0x2); // Linux pasid_clear_entry_with_fpd
        assertEquals(0, driver.recordFault(unit, device, 5,
                Fault.config(VtdScalableFaultReason.SPT_NOT_PRESENT, Access.WRITE, 0x1000)).length);
        // an error accessing the PASID table is not qualified
        assertEquals(16, driver.recordFault(unit, device, 5,
                Fault.config(VtdScalableFaultReason.SPT_ACCESS, Access.WRITE, 0x1000)).length);
        // another PASID of the same device, entry without FPD: recorded
        assertEquals(16, driver.recordFault(unit, device, 6,
                Fault.config(VtdScalableFaultReason.SPT_NOT_PRESENT, Access.WRITE, 0x1000)).length);
    }

    @Test
    void pasidDirectoryFpdSuppressesQualifiedFaults() {
        structures(0);
        unit.memory().write64(DIR, TABLE | 0x2 | 1);
        assertEquals(0, driver.recordFault(unit, device, 5,
                walkFault(FaultStage.STAGE2, FaultReason.PERMISSION, 0, Access.WRITE, 0x1000)).length);
    }
}
