package io.nestor.driver.vtd.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.driver.vtd.Features;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scalable-mode fault reasons for walk faults ({@code hw-formats.md} 1.8 and 3.3), including those
 * that need the device's configuration: a nested PASID entry (PGTT 011, 48-bit 4-level second
 * stage, 4-level first stage at FSPT) built in memory, and a stage-2 translator that can deny reads.
 */
class VtdFaultReasonEncoderTest {

    private static final long ROOT = 0x10_0000L;
    private static final long CTX = 0x10_1000L;
    private static final long DIR = 0x10_2000L;
    private static final long TABLE = 0x10_3000L;
    private static final long SSPT = 0x40_0000L;
    private static final long FSPT = 0x50_0000L;
    private static final int PASID = 5;

    private MemoryTestUnit unit;
    private final DeviceInfo device = new DeviceInfo("0000:03:02.2", "dmar0", 0x0312, 20, true, true, true, true);
    /** An IPA whose read stage 2 denies. */
    private long deniedIpa = -1;

    @BeforeEach
    void nestedPasid() {
        unit = MemoryTestUnit.of(Features.typical().build());
        VtdUnitReset.reset(unit);
        unit.stage2Translator((config, tag, ipa, access) -> {
            if (ipa == deniedIpa) {
                throw new FaultException(new Fault(FaultStage.STAGE2, FaultReason.PERMISSION, 0, access, ipa, ipa,
                        false, 0));
            }
            return ipa;
        });
        VtdMmio.write64(unit, VtdRegisterOffsets.RTADDR, ROOT | 1L << 10);
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, VtdMmio.GCMD_TE | VtdMmio.GCMD_SRTP);
        unit.memory().write64(ROOT + 3 * 16, CTX | 1);
        unit.memory().write64(CTX + 0x12 * 32, DIR | 0x8 | 1); // P, PASIDE, PDTS 0
        unit.memory().write64(DIR, TABLE | 1);
        pasidEntry(VtdPasidEntry.PGTT_NESTED);
    }

    private void pasidEntry(int pgtt) {
        long entry = TABLE + PASID * 64L;
        unit.memory().write64(entry, SSPT | (long) pgtt << 6 | 2 << 2 | 1); // AW 2: 48-bit
        unit.memory().write64(entry + 8, 7); // DID 7
        unit.memory().write64(entry + 16, FSPT); // FSPM 0: 4-level
    }

    private int encode(FaultStage stage, FaultReason reason, int level, int access, long address, boolean tableFetch) {
        Fault f = new Fault(stage, reason, level, access, 0x1234_5000L, address, tableFetch, 0);
        return VtdFaultReasonEncoder.encode(unit, device, PASID, f);
    }

    private int encode(FaultStage stage, FaultReason reason, int level, int access) {
        return encode(stage, reason, level, access, 0x1234_5000L, false);
    }

    @Test
    void reasonsThatTheFaultAloneDecides() {
        assertEquals(0x71, encode(FaultStage.STAGE1, FaultReason.TRANSLATION, 2, Access.READ));
        assertEquals(0x80, encode(FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, -1, Access.READ));
        assertEquals(0x85, encode(FaultStage.STAGE1, FaultReason.PERMISSION, 0, Access.WRITE));
        assertEquals(0x82, encode(FaultStage.STAGE1, FaultReason.PERMISSION, 0, Access.READ | Access.EXEC));
        assertEquals(0x81, encode(FaultStage.STAGE1, FaultReason.PERMISSION, 0, Access.READ));
        assertEquals(0x91, encode(FaultStage.STAGE1, FaultReason.ACCESS_FLAG, 0, Access.READ));
        assertEquals(0x79, encode(FaultStage.STAGE2, FaultReason.TRANSLATION, 1, Access.READ));
        assertEquals(0x83, encode(FaultStage.STAGE2, FaultReason.ADDRESS_SIZE, -1, Access.READ));
        assertEquals(0x84, encode(FaultStage.STAGE2, FaultReason.ADDRESS_SIZE, 0, Access.READ));
        assertEquals(0x41, VtdFaultReasonEncoder.encode(unit, device, PASID, Fault.config(0x41, Access.READ, 0)));
        assertEquals(0x5B, VtdFaultReasonEncoder.encode(unit, device, PASID, Fault.config(0, Access.READ, 0)));
    }

    @Test
    void externalAbortAtTheRootLevelIsABadTablePointer() {
        assertEquals(0x73, encode(FaultStage.STAGE1, FaultReason.EXTERNAL_ABORT, 3, Access.READ));
        assertEquals(0x70, encode(FaultStage.STAGE1, FaultReason.EXTERNAL_ABORT, 1, Access.READ));
        assertEquals(0x7B, encode(FaultStage.STAGE2, FaultReason.EXTERNAL_ABORT, 3, Access.READ));
        assertEquals(0x78, encode(FaultStage.STAGE2, FaultReason.EXTERNAL_ABORT, 2, Access.READ));
    }

    @Test
    void firstStageAddressBeyondWidthIsNestedOnlyWithNesting() {
        assertEquals(0x74, encode(FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, 2, Access.READ));
        pasidEntry(VtdPasidEntry.PGTT_FIRST_STAGE);
        assertEquals(0x72, encode(FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, 2, Access.READ));
    }

    @Test
    void secondStagePermissionOnTheOutputIsReadOrWrite() {
        long ipa = 0x7700_0000L;
        assertEquals(0x85, encode(FaultStage.STAGE2, FaultReason.PERMISSION, 0, Access.READ | Access.WRITE, ipa, false));
        deniedIpa = ipa;
        assertEquals(0x86, encode(FaultStage.STAGE2, FaultReason.PERMISSION, 0, Access.READ | Access.WRITE, ipa, false));
    }

    @Test
    void secondStageFaultsOnFirstStageTableFetches() {
        long rootEntry = FSPT + 8 * 0x24;
        long lowerEntry = 0x66_6000L + 8 * 3;
        // read allowed, so the denied access was the A/D write
        assertEquals(0x77, encode(FaultStage.STAGE2, FaultReason.PERMISSION, 0, Access.READ, rootEntry, true));
        deniedIpa = rootEntry;
        assertEquals(0x75, encode(FaultStage.STAGE2, FaultReason.PERMISSION, 0, Access.READ, rootEntry, true));
        deniedIpa = lowerEntry;
        assertEquals(0x76, encode(FaultStage.STAGE2, FaultReason.PERMISSION, 0, Access.READ, lowerEntry, true));
        assertEquals(0x76, encode(FaultStage.STAGE2, FaultReason.TRANSLATION, 1, Access.READ, lowerEntry, true));
        assertEquals(0x75, encode(FaultStage.STAGE2, FaultReason.TRANSLATION, 1, Access.READ, rootEntry, true));
        assertEquals(0x74, encode(FaultStage.STAGE2, FaultReason.ADDRESS_SIZE, -1, Access.READ, 1L << 50, true));
    }

    @Test
    void withoutADecodableConfigurationTheSimpleReadingIsChosen() {
        unit.memory().write64(DIR, 0); // directory entry gone
        assertEquals(0x70, encode(FaultStage.STAGE1, FaultReason.EXTERNAL_ABORT, 3, Access.READ));
        assertEquals(0x72, encode(FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, 2, Access.READ));
        assertEquals(0x85, encode(FaultStage.STAGE2, FaultReason.PERMISSION, 0, Access.WRITE));
        assertEquals(0x86, encode(FaultStage.STAGE2, FaultReason.PERMISSION, 0, Access.READ));
    }
}
