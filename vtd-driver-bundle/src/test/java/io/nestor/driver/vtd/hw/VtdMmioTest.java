package io.nestor.driver.vtd.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.vtd.Features;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Register side effects of {@link VtdMmio}, read back the way software reads registers. */
class VtdMmioTest {

    private MemoryTestUnit unit;
    private RegisterFile regs;

    @BeforeEach
    void resetUnit() {
        unit = MemoryTestUnit.of(Features.typical().build());
        unit.index(2);
        VtdUnitReset.reset(unit);
        regs = unit.registers();
    }

    private int gsts() {
        return regs.read32(VtdRegisterOffsets.GSTS);
    }

    @Test
    void gcmdIsWriteOnlyAndItsPersistentBitsShowInGsts() {
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, VtdMmio.GCMD_TE | VtdMmio.GCMD_QIE);
        assertEquals(0, regs.read32(VtdRegisterOffsets.GCMD), "GCMD reads 0");
        assertEquals(VtdMmio.GCMD_TE | VtdMmio.GCMD_QIE, gsts());
        // Linux's read-modify-write of GSTS, masking the one-shot bits, keeps the state
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, (gsts() & 0x96FF_FFFF) | VtdMmio.GCMD_SRTP);
        assertEquals(VtdMmio.GCMD_TE | VtdMmio.GCMD_QIE | VtdMmio.GCMD_SRTP, gsts(), "RTPS after SRTP");
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, 0);
        assertEquals(VtdMmio.GCMD_SRTP, gsts(), "TE and QIE off; RTPS stays");
    }

    @Test
    void unsupportedCommandsHaveNoStatus() {
        // WBF (27, RWBF = 0: completes at once), IRE / SIRTP / CFI (no interrupt remapping), SFL / EAFL
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, 0x3B80_0000);
        assertEquals(0, gsts());
        assertTrue(unit.invalidations().isEmpty());
    }

    @Test
    void translationEnableChangesDropDecodedConfigurations() {
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, VtdMmio.GCMD_TE);
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, VtdMmio.GCMD_TE | VtdMmio.GCMD_SRTP);
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, 0);
        assertEquals(List.of(new InvalidationScope.UnitConfig(2), new InvalidationScope.UnitConfig(2)),
                unit.invalidations(), "one per TE change; SRTP alone invalidates nothing");
    }

    @Test
    void srtpLatchesRtaddrIncludingTtm() {
        VtdMmio.write64(unit, VtdRegisterOffsets.RTADDR, 0x1234_5000L | 1L << 10 | 0x3FF);
        assertEquals(0x1234_5000L | 1L << 10, regs.read64(VtdRegisterOffsets.RTADDR), "bits 9:0 reserved");
        assertEquals(0, regs.read64(VtdRegisterOffsets.LATCHED_ROOT_TABLE));
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, VtdMmio.GCMD_SRTP);
        assertEquals(0x1234_5000L | 1L << 10, regs.read64(VtdRegisterOffsets.LATCHED_ROOT_TABLE));
    }

    @Test
    void readOnlyRegistersIgnoreWrites() {
        long cap = regs.read64(VtdRegisterOffsets.CAP);
        VtdMmio.write64(unit, VtdRegisterOffsets.CAP, 0);
        VtdMmio.write32(unit, VtdRegisterOffsets.GSTS, -1);
        VtdMmio.write64(unit, VtdRegisterOffsets.IQH, 0x40);
        VtdMmio.write64(unit, VtdRegisterOffsets.IQERCD, 5);
        VtdMmio.write64(unit, VtdRegisterOffsets.LATCHED_ROOT_TABLE, 0x9000);
        VtdMmio.write32(unit, VtdRegisterOffsets.NEXT_FAULT_RECORD, 3);
        assertEquals(cap, regs.read64(VtdRegisterOffsets.CAP));
        assertEquals(0, gsts());
        assertEquals(0, regs.read64(VtdRegisterOffsets.IQH));
        assertEquals(0, regs.read64(VtdRegisterOffsets.IQERCD));
        assertEquals(0, regs.read64(VtdRegisterOffsets.LATCHED_ROOT_TABLE));
        assertEquals(0, regs.read32(VtdRegisterOffsets.NEXT_FAULT_RECORD));
        // a fault record's lower quadword is read-only too
        VtdMmio.write64(unit, VtdRegisterOffsets.FAULT_RECORDS, 0x5000);
        assertEquals(0, regs.read64(VtdRegisterOffsets.FAULT_RECORDS));
    }

    @Test
    void queueRegistersKeepOnlyTheirFields() {
        VtdMmio.write64(unit, VtdRegisterOffsets.IQA, 0x8_0000L | 0xFFF);
        assertEquals(0x8_0000L | 1L << 11 | 7, regs.read64(VtdRegisterOffsets.IQA));
        VtdMmio.write64(unit, VtdRegisterOffsets.PQA, 0x9_0000L | 0xFFF);
        assertEquals(0x9_0000L | 7, regs.read64(VtdRegisterOffsets.PQA));
        VtdMmio.write64(unit, VtdRegisterOffsets.PQH, 0xFFFF_FFFFL);
        assertEquals(0x7FFE0L, regs.read64(VtdRegisterOffsets.PQH));
        VtdMmio.write32(unit, VtdRegisterOffsets.IQT, 0x12345);
        assertEquals(0x12340L, regs.read64(VtdRegisterOffsets.IQT), "QIE off: stored, not processed");
    }

    @Test
    void halfWritesTouchOnlyTheirRegister() {
        VtdMmio.write32(unit, VtdRegisterOffsets.FEDATA, 0x4041);
        assertEquals(0x4041, regs.read32(VtdRegisterOffsets.FEDATA));
        assertEquals(VtdEventInterrupt.IM, regs.read32(VtdRegisterOffsets.FECTL), "FECTL untouched");
        VtdMmio.write32(unit, VtdRegisterOffsets.FEUADDR, 0xAB);
        VtdMmio.write32(unit, VtdRegisterOffsets.FEADDR, 0xFEE0_0000);
        assertEquals(0xAB_FEE0_0000L, regs.read64(VtdRegisterOffsets.FEADDR));
        VtdMmio.write32(unit, VtdRegisterOffsets.RTADDR + 4, 0x1);
        assertEquals(1L << 32, regs.read64(VtdRegisterOffsets.RTADDR));
    }

    @Test
    void eventControlKeepsImWritableAndUnmaskingSendsThePendingEvent() {
        VtdEventInterrupt.signal(regs, VtdRegisterOffsets.FECTL);
        assertEquals(VtdEventInterrupt.IM | VtdEventInterrupt.IP, regs.read32(VtdRegisterOffsets.FECTL));
        VtdMmio.write32(unit, VtdRegisterOffsets.FECTL, VtdEventInterrupt.IM); // IP is read-only
        assertEquals(VtdEventInterrupt.IM | VtdEventInterrupt.IP, regs.read32(VtdRegisterOffsets.FECTL));
        VtdMmio.write32(unit, VtdRegisterOffsets.FECTL, 0);
        assertEquals(0, regs.read32(VtdRegisterOffsets.FECTL));
        VtdEventInterrupt.signal(regs, VtdRegisterOffsets.FECTL);
        assertEquals(0, regs.read32(VtdRegisterOffsets.FECTL), "unmasked: sent, nothing pending");
    }

    @Test
    void fstsClearsOnlyWriteOneToClearBits() {
        regs.write32(VtdRegisterOffsets.FSTS, 0x3 | VtdFaultStatusRegister.IQE | 5 << 8);
        VtdMmio.write32(unit, VtdRegisterOffsets.FSTS, -1);
        assertEquals(VtdFaultStatusRegister.PPF | 5 << 8, regs.read32(VtdRegisterOffsets.FSTS), "PPF and FRI stay");
    }

    @Test
    void registerBasedInvalidationRunsAndClearsItsGoBit() {
        // CCMD: ICC | device-selective, FM 00, SID 0x0312
        VtdMmio.write64(unit, VtdRegisterOffsets.CCMD, 1L << 63 | 3L << 61 | 0x0312L << 16);
        assertEquals(3L << 61 | 3L << 59 | 0x0312L << 16, regs.read64(VtdRegisterOffsets.CCMD));
        // IOTLB: IVA with AM 1, then IVT | page-selective, DID 9
        VtdMmio.write64(unit, VtdRegisterOffsets.IVA, 0x8000L | 1);
        VtdMmio.write64(unit, VtdRegisterOffsets.IOTLB, 1L << 63 | 3L << 60 | 9L << 32);
        assertEquals(3L << 60 | 3L << 57 | 9L << 32, regs.read64(VtdRegisterOffsets.IOTLB));
        // reserved granularity: nothing performed, IAIG 00
        VtdMmio.write64(unit, VtdRegisterOffsets.IOTLB, 1L << 63);
        assertEquals(0, regs.read64(VtdRegisterOffsets.IOTLB));
        assertEquals(List.of(new InvalidationScope.DeviceConfig(2, 0x0312, InvalidationScope.ANY),
                new InvalidationScope.Stage2Range(2, 9, 0x8000, 0x2000, false)), unit.invalidations());
    }

    @Test
    void misalignedOrOutOfRangeWritesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> VtdMmio.write32(unit, 0x3A, 0));
        assertThrows(IllegalArgumentException.class, () -> VtdMmio.write64(unit, 0x84, 0));
        assertThrows(IllegalArgumentException.class, () -> VtdMmio.write64(unit, regs.size(), 0));
        assertThrows(IllegalArgumentException.class, () -> VtdMmio.write32(unit, -4, 0));
    }
}
