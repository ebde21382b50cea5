package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.smmuv3.hw.Smmuv3ControlRegisters;
import io.nestor.driver.smmuv3.hw.Smmuv3Idr0;
import io.nestor.driver.smmuv3.hw.Smmuv3Idr1;
import io.nestor.driver.smmuv3.hw.Smmuv3Queue;
import io.nestor.driver.smmuv3.hw.Smmuv3RegisterOffsets;
import io.nestor.driver.smmuv3.hw.Smmuv3StreamTable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * Host-driver bring-up of an SMMUv3, in the order of Linux {@code arm_smmu_device_reset}, done
 * lazily by the first operation that needs the SMMU translating and never again: whether it is
 * done is read back from the registers (CR0.SMMUEN and CR0.CMDQEN set, a stream table installed),
 * since the driver keeps no state.
 *
 * <ol>
 * <li>an SMMU found enabled by someone else is first made to abort (GBPA.ABORT) and disabled;</li>
 * <li>CR1: tables and queues inner-shareable write-back; CR2: PTM and RECINVSID;</li>
 * <li>the stream table (STRTAB_BASE with RA, STRTAB_BASE_CFG), every STE aborting;</li>
 * <li>the command queue, then CR0.CMDQEN; CMD_CFGI_ALL and CMD_TLBI_NSNH_ALL (each with a SYNC) so
 *     nothing cached from before survives;</li>
 * <li>the event queue and CR0.EVTQEN; the PRI queue and CR0.PRIQEN when IDR0.PRI; CR0.ATSCHK when
 *     IDR0.ATS; finally CR0.SMMUEN.</li>
 * </ol>
 * Every CR0 write waits for CR0ACK to match (Linux {@code arm_smmu_write_reg_sync}); a mismatch is
 * ETIMEDOUT. Interrupt set-up (IRQ_CTRL and the MSI registers) is left out: the platform reports
 * events and page requests by calling the driver, not through interrupts.
 *
 * <p>Stream table (Linux {@code arm_smmu_init_strtab}): two-level with SPLIT 8 when IDR0.ST_LEVEL
 * offers it and IDR1.SIDSIZE exceeds 8 bits, at most 2^17 L1 descriptors, L2 tables of 256 STEs
 * allocated when a StreamID first needs one ({@link Smmuv3StreamTableSlots}); linear otherwise.
 * Queue sizes are this driver's choice within IDR1's limits: one 4 KiB page each.
 *
 * <p>On failure the pages allocated so far are freed and CR0 is cleared, so a failed bring-up
 * leaves no structures behind.
 */
public final class Smmuv3DeviceReset {

    /** CR0 enable bits as int masks; the fields are the hardware half's {@link Smmuv3ControlRegisters}. */
    static final int CR0_SMMUEN = (int) Smmuv3ControlRegisters.CR0_SMMUEN.mask();
    static final int CR0_PRIQEN = (int) Smmuv3ControlRegisters.CR0_PRIQEN.mask();
    static final int CR0_EVTQEN = (int) Smmuv3ControlRegisters.CR0_EVTQEN.mask();
    static final int CR0_CMDQEN = (int) Smmuv3ControlRegisters.CR0_CMDQEN.mask();
    static final int CR0_ATSCHK = (int) Smmuv3ControlRegisters.CR0_ATSCHK.mask();

    /** CR1: SH = inner shareable (3), OC / IC = write-back (1), for tables (11:6) and queues (5:0). */
    static final int CR1_VALUE = 3 << 10 | 1 << 8 | 1 << 6 | 3 << 4 | 1 << 2 | 1;
    /** CR2: PTM (bit 2) and RECINVSID (bit 1), as Linux sets them without E2H. */
    static final int CR2_VALUE = 1 << 2 | 1 << 1;
    static final int GBPA_ABORT = (int) Smmuv3ControlRegisters.GBPA_ABORT.mask();
    static final int GBPA_UPDATE = (int) Smmuv3ControlRegisters.GBPA_UPDATE.mask();

    /** Linux {@code STRTAB_SPLIT}: 256 STEs per L2 table. */
    static final int STRTAB_SPLIT = 8;
    static final int STRTAB_MAX_L1_LOG2 = 17;
    static final int CMDQ_LOG2 = 8;
    static final int EVTQ_LOG2 = 7;
    static final int PRIQ_LOG2 = 8;

    /** Whether the host driver has brought the SMMU up (registers read back). */
    public static boolean isUp(UnitContext unit) {
        int cr0 = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.CR0);
        return (cr0 & (CR0_SMMUEN | CR0_CMDQEN)) == (CR0_SMMUEN | CR0_CMDQEN)
                && Smmuv3HostMmio.read64(unit, Smmuv3RegisterOffsets.STRTAB_BASE) != 0;
    }

    /** Brings the SMMU up unless it already is. */
    public static void ensureUp(UnitContext unit) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            if (!isUp(unit)) {
                bringUp(unit);
            }
        } finally {
            lock.unlock();
        }
    }

    private static void bringUp(UnitContext unit) {
        int idr0 = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.IDR0);
        int idr1 = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.IDR1);
        List<long[]> allocated = new ArrayList<>();
        try {
            int cr0 = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.CR0);
            if ((cr0 & CR0_SMMUEN) != 0) {
                updateGbpa(unit, GBPA_ABORT, 0);
            }
            writeCr0(unit, 0);
            Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.CR1, CR1_VALUE);
            Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.CR2, CR2_VALUE);

            installStreamTable(unit, idr0, idr1, allocated);

            long cmdq = allocate(unit, 1, allocated);
            Smmuv3HostMmio.write64(unit, Smmuv3RegisterOffsets.CMDQ_BASE, queueBase(cmdq,
                    Math.min(CMDQ_LOG2, Smmuv3Idr1.get(Smmuv3Idr1.CMDQS, idr1))));
            Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.CMDQ_PROD, 0);
            Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.CMDQ_CONS, 0);
            int enables = CR0_CMDQEN;
            writeCr0(unit, enables);
            Smmuv3CommandSubmission.issueWithSync(unit, List.of(Smmuv3CommandBuilder.cfgiAll()));
            Smmuv3CommandSubmission.issueWithSync(unit, List.of(Smmuv3CommandBuilder.tlbiNsnhAll()));

            long evtq = allocate(unit, 1, allocated);
            Smmuv3HostMmio.write64(unit, Smmuv3RegisterOffsets.EVTQ_BASE, queueBase(evtq,
                    Math.min(EVTQ_LOG2, Smmuv3Idr1.get(Smmuv3Idr1.EVENTQS, idr1))));
            Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.EVTQ_PROD, 0);
            Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.EVTQ_CONS, 0);
            enables |= CR0_EVTQEN;
            writeCr0(unit, enables);

            if (Smmuv3Idr0.get(Smmuv3Idr0.PRI, idr0) != 0) {
                long priq = allocate(unit, 1, allocated);
                Smmuv3HostMmio.write64(unit, Smmuv3RegisterOffsets.PRIQ_BASE, queueBase(priq,
                        Math.min(PRIQ_LOG2, Smmuv3Idr1.get(Smmuv3Idr1.PRIQS, idr1))));
                Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.PRIQ_PROD, 0);
                Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.PRIQ_CONS, 0);
                enables |= CR0_PRIQEN;
                writeCr0(unit, enables);
            }
            if (Smmuv3Idr0.get(Smmuv3Idr0.ATS, idr0) != 0) {
                enables |= CR0_ATSCHK;
                writeCr0(unit, enables);
            }
            enables |= CR0_SMMUEN;
            writeCr0(unit, enables);
        } catch (RuntimeException e) {
            undo(unit, allocated);
            throw e;
        }
    }

    private static void installStreamTable(UnitContext unit, int idr0, int idr1, List<long[]> allocated) {
        int sidBits = Smmuv3Idr1.get(Smmuv3Idr1.SIDSIZE, idr1);
        boolean twoLevel = Smmuv3Idr0.get(Smmuv3Idr0.ST_LEVEL, idr0) == Smmuv3Idr0.ST_LEVEL_TWO_LEVEL
                && sidBits > STRTAB_SPLIT;
        long cfg;
        long base;
        if (twoLevel) {
            int l1Log2 = Math.min(sidBits - STRTAB_SPLIT, STRTAB_MAX_L1_LOG2);
            long bytes = 8L << l1Log2;
            base = allocate(unit, (int) Math.max(1, bytes >>> 12), allocated);
            cfg = Smmuv3StreamTable.CFG_FMT.insert(0, Smmuv3StreamTable.FMT_2LVL);
            cfg = Smmuv3StreamTable.CFG_SPLIT.insert(cfg, STRTAB_SPLIT);
            cfg = Smmuv3StreamTable.CFG_LOG2SIZE.insert(cfg, l1Log2 + STRTAB_SPLIT);
        } else {
            long bytes = (long) Smmuv3StreamTable.STE_SIZE << sidBits;
            int pages = (int) Math.max(1, bytes >>> 12);
            base = allocate(unit, pages, allocated);
            Smmuv3StreamTableSlots.initAbortStes(unit, base, 1 << sidBits);
            cfg = Smmuv3StreamTable.CFG_FMT.insert(0, Smmuv3StreamTable.FMT_LINEAR);
            cfg = Smmuv3StreamTable.CFG_LOG2SIZE.insert(cfg, sidBits);
        }
        Smmuv3HostMmio.write64(unit, Smmuv3RegisterOffsets.STRTAB_BASE, Smmuv3StreamTable.BASE_RA.insert(base, true));
        Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.STRTAB_BASE_CFG, (int) cfg);
    }

    /** Q_BASE: RWA, address 51:5, LOG2SIZE 4:0. */
    static long queueBase(long address, int log2) {
        long v = Smmuv3Queue.BASE_RWA.insert(0, true);
        v = Smmuv3Queue.BASE_ADDR.insert(v, address >>> 5);
        return Smmuv3Queue.BASE_LOG2SIZE.insert(v, log2);
    }

    /** Linux {@code arm_smmu_write_reg_sync} for CR0: write, then CR0ACK must follow. */
    static void writeCr0(UnitContext unit, int value) {
        Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.CR0, value);
        int ack = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.CR0ACK);
        if (ack != value) {
            throw IommuException.of(Errno.ETIMEDOUT, "%s: CR0ACK 0x%x did not follow CR0 0x%x", unit.name(), ack, value);
        }
    }

    /** Linux {@code arm_smmu_update_gbpa}: write with UPDATE set, which the SMMU clears when done. */
    static void updateGbpa(UnitContext unit, int set, int clear) {
        int gbpa = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.GBPA);
        int value = (gbpa & ~clear & ~GBPA_UPDATE) | set;
        Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.GBPA, value | GBPA_UPDATE);
        if ((Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.GBPA) & GBPA_UPDATE) != 0) {
            throw IommuException.of(Errno.ETIMEDOUT, "%s: GBPA.UPDATE was not cleared", unit.name());
        }
    }

    private static long allocate(UnitContext unit, int pages, List<long[]> allocated) {
        long address = unit.allocatePages(pages);
        allocated.add(new long[] {address, pages});
        return address;
    }

    private static void undo(UnitContext unit, List<long[]> allocated) {
        try {
            Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.CR0, 0);
            Smmuv3HostMmio.write64(unit, Smmuv3RegisterOffsets.STRTAB_BASE, 0);
            Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.STRTAB_BASE_CFG, 0);
            Smmuv3HostMmio.write64(unit, Smmuv3RegisterOffsets.CMDQ_BASE, 0);
            Smmuv3HostMmio.write64(unit, Smmuv3RegisterOffsets.EVTQ_BASE, 0);
            Smmuv3HostMmio.write64(unit, Smmuv3RegisterOffsets.PRIQ_BASE, 0);
        } finally {
            for (long[] a : allocated) {
                unit.freePages(a[0], (int) a[1]);
            }
        }
    }

    private Smmuv3DeviceReset() {
    }
}
