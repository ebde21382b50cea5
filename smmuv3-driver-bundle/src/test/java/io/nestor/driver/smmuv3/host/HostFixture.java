package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.driver.smmuv3.TestUnit;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import io.nestor.driver.smmuv3.hw.Smmuv3RegisterOffsets;
import io.nestor.driver.smmuv3.hw.Smmuv3StreamTable;
import io.nestor.api.translation.FaultException;
import io.nestor.testkit.MapPhysicalMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * Test fixture for the host half: a unit reset by the real driver over sparse memory, the hardware
 * half's MMIO path consuming what the host submits, and a reader of the command queue in memory,
 * so tests see the exact commands the host wrote there.
 */
final class HostFixture {

    final Smmuv3Driver driver = new Smmuv3Driver();
    final MapPhysicalMemory memory = new MapPhysicalMemory(48);
    final TestUnit unit;

    HostFixture(Features features) {
        unit = TestUnit.withMemory(features.build(), memory);
        driver.reset(unit);
    }

    static HostFixture typical() {
        return new HostFixture(Features.typical());
    }

    static DeviceInfo device(int sid, boolean ats, boolean pri) {
        return new DeviceInfo("dev" + sid, "smmu0", sid, 20, false, false, ats, pri);
    }

    /**
     * Every command in the command queue from entry 0 up to SMMU_CMDQ_PROD, in order (the tests
     * issue fewer commands than the queue holds, so it has not wrapped).
     */
    List<Smmuv3Command> commands() {
        long base = unit.registers().read64(Smmuv3RegisterOffsets.CMDQ_BASE);
        List<Smmuv3Command> out = new ArrayList<>();
        if (base == 0) {
            return out;
        }
        long address = base & 0x000F_FFFF_FFFF_FFE0L;
        int log2 = (int) (base & 0x1F);
        int prod = unit.registers().read32(Smmuv3RegisterOffsets.CMDQ_PROD) & ((1 << log2) - 1);
        for (int i = 0; i < prod; i++) {
            out.add(new Smmuv3Command(memory.read64(address + 16L * i), memory.read64(address + 16L * i + 8)));
        }
        return out;
    }

    /** The commands issued after the first {@code mark} ones. */
    List<Smmuv3Command> commandsSince(int mark) {
        List<Smmuv3Command> all = commands();
        return all.subList(mark, all.size());
    }

    /** Opcodes of {@link #commandsSince}. */
    List<Integer> opcodesSince(int mark) {
        List<Integer> ops = new ArrayList<>();
        for (Smmuv3Command c : commandsSince(mark)) {
            ops.add(c.opcode());
        }
        return ops;
    }

    /** The 8 words of the STE for {@code sid}, found through the registers as the hardware does. */
    long[] ste(int sid) throws FaultException {
        long address = Smmuv3StreamTable.steAddress(memory, unit.registers().read64(Smmuv3RegisterOffsets.STRTAB_BASE),
                unit.registers().read32(Smmuv3RegisterOffsets.STRTAB_BASE_CFG), 32, sid);
        long[] ste = new long[8];
        for (int i = 0; i < 8; i++) {
            ste[i] = memory.read64(address + 8L * i);
        }
        return ste;
    }
}
