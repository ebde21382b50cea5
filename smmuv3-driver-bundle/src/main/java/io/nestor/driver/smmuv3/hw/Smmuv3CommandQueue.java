package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import java.util.concurrent.locks.Lock;

/**
 * The SMMU's consumption of its command queue (hw-formats.md §2.5; QEMU hw/arm/smmuv3.c
 * {@code smmuv3_cmdq_consume}): while CR0.CMDQEN is set and no command error is pending
 * (GERROR.CMDQ_ERR equal to GERRORN.CMDQ_ERR), the commands from CMDQ_CONS up to CMDQ_PROD are read
 * from memory and executed in order ({@link Smmuv3CommandExecutor}), CONS moving past each one once
 * it has taken effect, so a CMD_SYNC completes every command before it.
 *
 * <p>A bad command stops the queue at it: CONS keeps its index with CMDQ_CONS.ERR set to the error
 * (CERROR_ILL, or CERROR_ABT when the command cannot be read), and GERROR.CMDQ_ERR is raised.
 * Software fixes or replaces the command and acknowledges through GERRORN, which restarts
 * consumption ({@link Smmuv3Mmio}).
 *
 * <p>Runs with the unit's register lock held (reentrant), as every queue access does.
 */
public final class Smmuv3CommandQueue {

    /** Consumes every command between CONS and PROD, or up to the first bad one. */
    public static void process(UnitContext unit) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            consume(unit);
        } finally {
            lock.unlock();
        }
    }

    private static void consume(UnitContext unit) {
        RegisterFile regs = unit.registers();
        if (!Smmuv3ControlRegisters.CR0_CMDQEN.isSet(regs.read32(Smmuv3RegisterOffsets.CR0))) {
            return;
        }
        if ((Smmuv3GlobalErrors.pending(regs) & Smmuv3GlobalErrors.CMDQ_ERR) != 0) {
            return;
        }
        long base = regs.read64(Smmuv3RegisterOffsets.CMDQ_BASE);
        int log2 = Smmuv3Queue.log2Size(base,
                Smmuv3Idr1.get(Smmuv3Idr1.CMDQS, regs.read32(Smmuv3RegisterOffsets.IDR1)));
        int prod = regs.read32(Smmuv3RegisterOffsets.CMDQ_PROD);
        int cons = regs.read32(Smmuv3RegisterOffsets.CMDQ_CONS);
        while (!Smmuv3Queue.isEmpty(prod, cons, log2)) {
            long address = Smmuv3Queue.entryAddress(base, log2, Smmuv3Queue.COMMAND_SIZE, cons);
            try {
                Smmuv3CommandExecutor.execute(unit, read(unit.memory(), address));
            } catch (Smmuv3CommandError e) {
                cons = (int) Smmuv3Queue.CMDQ_CONS_ERR.insert(Integer.toUnsignedLong(cons), e.code());
                regs.write32(Smmuv3RegisterOffsets.CMDQ_CONS, cons);
                Smmuv3GlobalErrors.raise(regs, Smmuv3GlobalErrors.CMDQ_ERR);
                return;
            }
            cons = Smmuv3Queue.advance(cons, log2);
            regs.write32(Smmuv3RegisterOffsets.CMDQ_CONS, cons);
        }
    }

    private static Smmuv3Command read(PhysicalMemory memory, long address) throws Smmuv3CommandError {
        try {
            return new Smmuv3Command(memory.read64(address), memory.read64(address + 8));
        } catch (IommuException e) {
            if (e.errno() == Errno.EFAULT) {
                throw new Smmuv3CommandError(Smmuv3CommandError.CERROR_ABT,
                        String.format("command at 0x%x unreadable", address));
            }
            throw e;
        }
    }

    private Smmuv3CommandQueue() {
    }
}
