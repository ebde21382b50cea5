package io.nestor.driver.smmuv3.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.TestUnit;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Register semantics of the MMIO write path (offsets and bits as literals from hw-formats.md §2.1). */
class Smmuv3MmioTest {

    private static TestUnit unit(Features f) {
        TestUnit unit = TestUnit.of(f.build());
        unit.index(2);
        Smmuv3UnitReset.reset(unit);
        return unit;
    }

    @Test
    void cr0IsAcknowledgedWithOnlyImplementedBits() {
        Features f = Features.typical();
        f.pageRequests = false;
        f.deviceTlb = false;
        TestUnit unit = unit(f);
        Smmuv3Mmio.write32(unit, 0x20, 0xFFFF_FFFF);
        // SMMUEN | EVTQEN | CMDQEN; PRIQEN (1) and ATSCHK (4) are RES0 without PRI / ATS.
        assertEquals(0b1101, unit.registers().read32(0x20));
        assertEquals(0b1101, unit.registers().read32(0x24));

        TestUnit full = unit(Features.typical());
        Smmuv3Mmio.write32(full, 0x20, 0b10110);
        assertEquals(0b10110, full.registers().read32(0x24));
    }

    @Test
    void smmuenTransitionsInvalidateTheUnitAndOtherCr0WritesDoNot() {
        TestUnit unit = unit(Features.typical());
        Smmuv3Mmio.write32(unit, 0x20, 0b1000);
        assertTrue(unit.invalidations().isEmpty());
        Smmuv3Mmio.write32(unit, 0x20, 0b1001);
        Smmuv3Mmio.write32(unit, 0x20, 0b1101);
        Smmuv3Mmio.write32(unit, 0x20, 0b0000);
        assertEquals(List.of(new InvalidationScope.Unit(2), new InvalidationScope.Unit(2)), unit.invalidations());
    }

    @Test
    void gbpaTakesOnlyUpdatedWritesAndClearsUpdate() {
        TestUnit unit = unit(Features.typical());
        RegisterFile regs = unit.registers();
        Smmuv3Mmio.write32(unit, 0x44, 1 << 20);
        assertEquals(0x1000, regs.read32(0x44), "without UPDATE the write is ignored");
        assertTrue(unit.invalidations().isEmpty());
        Smmuv3Mmio.write32(unit, 0x44, 1 << 31 | 1 << 20 | 0x1000);
        assertEquals(1 << 20 | 0x1000, regs.read32(0x44));
        assertEquals(List.of(new InvalidationScope.Unit(2)), unit.invalidations());
        // With SMMUEN set GBPA does not apply to transactions: no invalidation.
        Smmuv3Mmio.write32(unit, 0x20, 1);
        unit.invalidations().clear();
        Smmuv3Mmio.write32(unit, 0x44, 1 << 31 | 0x1000);
        assertEquals(0x1000, regs.read32(0x44));
        assertTrue(unit.invalidations().isEmpty());
    }

    @Test
    void readOnlyRegistersIgnoreWrites() {
        TestUnit unit = unit(Features.typical());
        RegisterFile regs = unit.registers();
        int idr0 = regs.read32(0x00);
        int idr1 = regs.read32(0x04);
        Smmuv3Mmio.write32(unit, 0x00, 0);
        Smmuv3Mmio.write32(unit, 0x04, 0);
        Smmuv3Mmio.write32(unit, 0x24, 0xF);
        Smmuv3Mmio.write32(unit, 0x60, 1);
        Smmuv3Mmio.write32(unit, 0x54, 7);
        assertEquals(idr0, regs.read32(0x00));
        assertEquals(idr1, regs.read32(0x04));
        assertEquals(0, regs.read32(0x24));
        assertEquals(0, regs.read32(0x60));
        assertEquals(0, regs.read32(0x54));
    }

    @Test
    void irqCtrlIsAcknowledged() {
        Features f = Features.typical();
        f.pageRequests = false;
        TestUnit unit = unit(f);
        Smmuv3Mmio.write32(unit, 0x50, 0xFF);
        assertEquals(0b101, unit.registers().read32(0x50));
        assertEquals(0b101, unit.registers().read32(0x54));
    }

    @Test
    void sixtyFourBitRegistersTakeWholeAndHalfWrites() {
        TestUnit unit = unit(Features.typical());
        RegisterFile regs = unit.registers();
        Smmuv3Mmio.write64(unit, 0x80, 0x4000_0000_1234_5640L);
        assertEquals(0x4000_0000_1234_5640L, regs.read64(0x80));
        Smmuv3Mmio.write32(unit, 0xA0, 0x8765_4321);
        Smmuv3Mmio.write32(unit, 0xA4, 0x12);
        assertEquals(0x12_8765_4321L, regs.read64(0xA0));
        // A 64-bit write over CMDQ_PROD / CMDQ_CONS is two 32-bit writes.
        Smmuv3Mmio.write64(unit, 0x98, 0x0000_0003_0000_0005L);
        assertEquals(5, regs.read32(0x98));
        assertEquals(3, regs.read32(0x9C));
    }

    @Test
    void eventAndPriQueueIndexesLiveInPage1WithPage0Aliases() {
        TestUnit unit = unit(Features.typical());
        RegisterFile regs = unit.registers();
        Smmuv3Mmio.write32(unit, 0xAC, 7); // EVTQ_CONS through its page-0 alias
        assertEquals(7, regs.read32(0x100AC));
        assertEquals(7, regs.read32(0xAC));
        Smmuv3Mmio.write32(unit, 0x100C8, 9); // PRIQ_PROD while PRIQEN is clear
        assertEquals(9, regs.read32(0xC8));
        // With the queues enabled the SMMU owns PROD (and the command queue's CONS).
        Smmuv3Mmio.write32(unit, 0x20, 0b1110);
        Smmuv3Mmio.write32(unit, 0x100A8, 3);
        Smmuv3Mmio.write32(unit, 0x100C8, 3);
        Smmuv3Mmio.write32(unit, 0x9C, 3);
        assertEquals(0, regs.read32(0x100A8));
        assertEquals(9, regs.read32(0x100C8));
        assertEquals(0, regs.read32(0x9C));
        Smmuv3Mmio.write32(unit, 0x100CC, 0x8000_0002);
        assertEquals(0x8000_0002, regs.read32(0x100CC));
    }
}
