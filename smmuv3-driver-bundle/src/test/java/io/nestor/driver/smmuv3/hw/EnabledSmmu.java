package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.TestUnit;
import io.nestor.testkit.MapPhysicalMemory;

/**
 * Test fixture: a reset SMMU brought up the way Linux's {@code arm_smmu_device_reset} does, through
 * the MMIO write path: a linear stream table of 2^12 STEs, a command queue of 16, an event queue of
 * 8 and a PRI queue of 4 entries, then CR0 = SMMUEN | PRIQEN | EVTQEN | CMDQEN. Offsets and bit
 * positions are literals from hw-formats.md §2.1.
 */
final class EnabledSmmu {

    static final long STRTAB = 0x100000;
    static final long CMDQ = 0x10000;
    static final long EVTQ = 0x20000;
    static final long PRIQ = 0x30000;
    static final int CMDQ_LOG2 = 4;
    static final int EVTQ_LOG2 = 3;
    static final int PRIQ_LOG2 = 2;

    final MapPhysicalMemory memory = new MapPhysicalMemory(48);
    final TestUnit unit;

    EnabledSmmu(Features f) {
        unit = TestUnit.withMemory(f.build(), memory);
        Smmuv3UnitReset.reset(unit);
        Smmuv3Mmio.write64(unit, 0x80, STRTAB);
        Smmuv3Mmio.write32(unit, 0x88, 12);
        Smmuv3Mmio.write64(unit, 0x90, CMDQ | CMDQ_LOG2);
        Smmuv3Mmio.write64(unit, 0xA0, EVTQ | EVTQ_LOG2);
        Smmuv3Mmio.write64(unit, 0xC0, PRIQ | PRIQ_LOG2);
        Smmuv3Mmio.write32(unit, 0x20, f.pageRequests ? 0b1111 : 0b1101);
    }

    static DeviceInfo device(int sid) {
        return new DeviceInfo("dev" + sid, "smmu0", sid, 20, false, false, true, true);
    }

    /** Writes an STE's first words at the StreamID's slot. */
    void ste(int sid, long... dwords) {
        for (int i = 0; i < dwords.length; i++) {
            memory.write64(STRTAB + sid * 64L + 8L * i, dwords[i]);
        }
    }

    int eventProd() {
        return unit.registers().read32(0x100A8);
    }

    int priProd() {
        return unit.registers().read32(0x100C8);
    }

    long event(int index, int word) {
        return memory.read64(EVTQ + 32L * index + 8L * word);
    }

    long priEntry(int index, int word) {
        return memory.read64(PRIQ + 16L * index + 8L * word);
    }

    /** Submits one command at CMDQ_PROD and publishes it. */
    void command(long dword0, long dword1) {
        int prod = unit.registers().read32(0x98);
        long at = CMDQ + 16L * (prod & ((1 << CMDQ_LOG2) - 1));
        memory.write64(at, dword0);
        memory.write64(at + 8, dword1);
        Smmuv3Mmio.write32(unit, 0x98, (prod & ~((2 << CMDQ_LOG2) - 1)) | ((prod + 1) & ((2 << CMDQ_LOG2) - 1)));
    }

    /** The little-endian bytes of {@code dwords}, the way the test expects the SMMU to write them. */
    static byte[] le(long... dwords) {
        byte[] b = new byte[dwords.length * 8];
        for (int i = 0; i < dwords.length; i++) {
            for (int k = 0; k < 8; k++) {
                b[8 * i + k] = (byte) (dwords[i] >> (8 * k));
            }
        }
        return b;
    }
}
