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

    // ---- entries re-read: reserved bits and which permission was withheld --------------------------

    private static final long IOVA = 0x4020_3000L; // indices 0 / 1 / 1 / 3 from the root level down
    private static final long PDPT = 0x51_0000L;
    private static final long PD = 0x52_0000L;
    private static final long PT = 0x53_0000L;
    /** First-stage P, R/W, U/S, XD. */
    private static final long P = 1;
    private static final long RW = 2;
    private static final long US = 4;
    private static final long XD = 1L << 63;

    /** First-stage-only PASID entry with a 4-level table at FSPT mapping IOVA; the PD entry's flags given. */
    private void firstStageTables(long pdFlags, long pte) {
        pasidEntry(VtdPasidEntry.PGTT_FIRST_STAGE);
        unit.memory().write64(FSPT, PDPT | P | RW | US);
        unit.memory().write64(PDPT + 8, PD | P | RW | US);
        unit.memory().write64(PD + 8, PT | pdFlags);
        unit.memory().write64(PT + 3 * 8, pte);
    }

    private int encodeAt(FaultStage stage, FaultReason reason, int access) {
        Fault f = new Fault(stage, reason, 0, access, IOVA, IOVA, false, 0);
        return VtdFaultReasonEncoder.encode(unit, device, PASID, f);
    }

    @Test
    void firstStageEntryNotPresentOrReserved() {
        firstStageTables(P | RW | US, 0);
        assertEquals(0x71, encodeAt(FaultStage.STAGE1, FaultReason.TRANSLATION, Access.READ));
        firstStageTables(P | RW | US, 0x9000_0000L | 1L << 50 | P | RW | US); // bit 50 is above HAW 46
        assertEquals(0x72, encodeAt(FaultStage.STAGE1, FaultReason.TRANSLATION, Access.READ));
    }

    @Test
    void firstStagePermissionNamesTheWithheldBit() {
        firstStageTables(P | RW | US, 0x9000_0000L | P | RW); // supervisor page
        assertEquals(0x81, encodeAt(FaultStage.STAGE1, FaultReason.PERMISSION, Access.READ | Access.WRITE),
                "U/S is reported before R/W");
        firstStageTables(P | US, 0x9000_0000L | P | RW | US); // read-only at the PD level, user page: no WPE needed
        assertEquals(0x85, encodeAt(FaultStage.STAGE1, FaultReason.PERMISSION, Access.WRITE | Access.PRIV));
        firstStageTables(P | RW | US, 0x9000_0000L | XD | P | RW | US);
        assertEquals(0x82, encodeAt(FaultStage.STAGE1, FaultReason.PERMISSION, Access.READ | Access.EXEC));
    }

    @Test
    void secondStageEntryNotPresentOrReserved() {
        pasidEntry(VtdPasidEntry.PGTT_SECOND_STAGE);
        unit.memory().write64(SSPT, PDPT | 3);
        unit.memory().write64(PDPT + 8, PD | 3);
        unit.memory().write64(PD + 8, PT | 3);
        unit.memory().write64(PT + 3 * 8, 0x9000_0000L | 4); // X only: R = W = 0, not present
        assertEquals(0x79, encodeAt(FaultStage.STAGE2, FaultReason.TRANSLATION, Access.READ));
        unit.memory().write64(PT + 3 * 8, 0x9000_0000L | 1L << 62 | 1); // TM (bit 62) reserved
        assertEquals(0x7A, encodeAt(FaultStage.STAGE2, FaultReason.TRANSLATION, Access.READ));
    }
}
