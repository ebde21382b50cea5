package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.driver.smmuv3.hw.Smmuv3RegisterOffsets;
import io.nestor.driver.smmuv3.hw.Smmuv3StreamTable;

/**
 * Where the host driver writes a StreamID's STE, read from SMMU_STRTAB_BASE / _CFG (hw-formats.md
 * §2.2): linear, or two-level with the L2 table of 2^SPLIT STEs allocated the first time one of its
 * StreamIDs is used (Linux {@code arm_smmu_init_l2_strtab}), its STEs set to abort before the L1
 * descriptor (SPAN = SPLIT + 1, L2Ptr) publishes it. L2 tables live as long as the stream table,
 * as in Linux.
 */
final class Smmuv3StreamTableSlots {

    /**
     * The address of the STE for {@code sid}, allocating its L2 table when needed.
     *
     * @throws IommuException ERANGE for a StreamID beyond the stream table (Linux
     *     {@code arm_smmu_sid_in_range} fails the device probe with it)
     */
    static long steAddress(UnitContext unit, int sid) {
        long base = Smmuv3StreamTable.BASE_ADDR.extract(Smmuv3HostMmio.read64(unit, Smmuv3RegisterOffsets.STRTAB_BASE)) << 6;
        long cfg = Integer.toUnsignedLong(Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.STRTAB_BASE_CFG));
        int log2 = (int) Smmuv3StreamTable.CFG_LOG2SIZE.extract(cfg);
        if (sid < 0 || Integer.toUnsignedLong(sid) >= 1L << log2) {
            throw IommuException.of(Errno.ERANGE, "%s: StreamID 0x%x is beyond the stream table (%d bits)",
                    unit.name(), sid, log2);
        }
        if (Smmuv3StreamTable.CFG_FMT.extract(cfg) != Smmuv3StreamTable.FMT_2LVL) {
            return base + (long) sid * Smmuv3StreamTable.STE_SIZE;
        }
        int split = (int) Smmuv3StreamTable.CFG_SPLIT.extract(cfg);
        PhysicalMemory memory = unit.memory();
        long l1Address = base + (long) (sid >>> split) * 8;
        long l1 = memory.read64(l1Address);
        if (Smmuv3StreamTable.L1_SPAN.extract(l1) == 0) {
            int stes = 1 << split;
            long bytes = (long) stes * Smmuv3StreamTable.STE_SIZE;
            long l2 = unit.allocatePages((int) Math.max(1, bytes >>> 12));
            initAbortStes(unit, l2, stes);
            l1 = Smmuv3StreamTable.L1_SPAN.insert(0, split + 1);
            l1 = Smmuv3StreamTable.L1_L2PTR.insert(l1, l2 >>> 6);
            memory.write64(l1Address, l1);
        }
        return (Smmuv3StreamTable.L1_L2PTR.extract(l1) << 6)
                + (long) (sid & ((1 << split) - 1)) * Smmuv3StreamTable.STE_SIZE;
    }

    /**
     * Sets {@code count} STEs at {@code address} to abort (Linux {@code arm_smmu_init_initial_stes}):
     * word 0 is {@link Smmuv3SteEncoder#ABORT_0}, the other words of fresh pages are already 0.
     */
    static void initAbortStes(UnitContext unit, long address, int count) {
        PhysicalMemory memory = unit.memory();
        for (int i = 0; i < count; i++) {
            memory.write64(address + (long) i * Smmuv3StreamTable.STE_SIZE, Smmuv3SteEncoder.ABORT_0);
        }
    }

    private Smmuv3StreamTableSlots() {
    }
}
