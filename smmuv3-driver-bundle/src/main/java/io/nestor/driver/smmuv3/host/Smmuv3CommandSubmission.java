package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import io.nestor.driver.smmuv3.hw.Smmuv3GlobalErrors;
import io.nestor.driver.smmuv3.hw.Smmuv3Queue;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.driver.smmuv3.hw.Smmuv3RegisterOffsets;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * Host-side submission to the SMMUv3 command queue the way Linux {@code arm_smmu_cmdq_issue_cmdlist} does it,
 * reduced to a single producer: under the unit's register lock, write each 16-byte command at
 * {@code CMDQ_PROD} in queue memory, append a CMD_SYNC, publish the new producer index with one
 * write of SMMU_CMDQ_PROD, and wait for the SMMU to consume everything (SMMU_CMDQ_CONS reaching the
 * producer index is the completion of the CMD_SYNC with CS = none).
 *
 * <p>Queue layout (hw-formats.md §2.1; Linux {@code Q_BASE_*}, {@code Q_IDX} / {@code Q_WRP}):
 * SMMU_CMDQ_BASE holds the address (51:5) and LOG2SIZE (4:0); PROD and CONS hold the index in their
 * low LOG2SIZE bits and the wrap flag just above; CONS.ERR (30:24) names a command error.
 *
 * <p>The hardware processes commands synchronously when PROD is written, so "waiting" is one read
 * of CONS: not caught up means the SMMU stopped, which Linux reports as a timeout (ETIMEDOUT), or it
 * raised a command error (GERROR.CMDQ_ERR pending, CONS.ERR = CERROR_ILL / ABT / ATC_INV_SYNC),
 * reported as EIO.
 */
public final class Smmuv3CommandSubmission {

    /**
     * Issues {@code commands} followed by one CMD_SYNC.
     *
     * @throws IommuException ENODEV when the command queue is not enabled, ETIMEDOUT when the SMMU
     *     did not consume the commands, EIO when it reported a command error
     */
    public static void issueWithSync(UnitContext unit, List<Smmuv3Command> commands) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            int cr0 = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.CR0);
            if ((cr0 & Smmuv3DeviceReset.CR0_CMDQEN) == 0) {
                throw IommuException.of(Errno.ENODEV, "%s: the command queue is not enabled (CR0 0x%x)",
                        unit.name(), cr0);
            }
            long base = Smmuv3HostMmio.read64(unit, Smmuv3RegisterOffsets.CMDQ_BASE);
            int log2 = (int) Smmuv3Queue.BASE_LOG2SIZE.extract(base);
            int prod = Smmuv3Queue.indexAndWrap(Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.CMDQ_PROD), log2);
            PhysicalMemory memory = unit.memory();
            for (Smmuv3Command command : commands) {
                prod = put(unit, memory, base, log2, prod, command);
            }
            prod = put(unit, memory, base, log2, prod, Smmuv3CommandBuilder.sync());
            Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.CMDQ_PROD, prod);
            awaitConsumed(unit, log2, prod);
        } finally {
            lock.unlock();
        }
    }

    /** Writes one command at {@code prod}, first handing the queue to the SMMU when it is full. */
    private static int put(UnitContext unit, PhysicalMemory memory, long base, int log2, int prod,
            Smmuv3Command command) {
        int cons = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.CMDQ_CONS);
        if (Smmuv3Queue.isFull(prod, cons, log2)) {
            Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.CMDQ_PROD, prod);
            cons = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.CMDQ_CONS);
            checkError(unit, cons);
            if (Smmuv3Queue.isFull(prod, cons, log2)) {
                throw IommuException.of(Errno.ETIMEDOUT, "%s: command queue full at PROD 0x%x, CONS 0x%x",
                        unit.name(), prod, cons);
            }
        }
        long entry = Smmuv3Queue.entryAddress(base, log2, Smmuv3Queue.COMMAND_SIZE, prod);
        memory.write64(entry, command.dword0());
        memory.write64(entry + 8, command.dword1());
        return Smmuv3Queue.advance(prod, log2);
    }

    private static void awaitConsumed(UnitContext unit, int log2, int prod) {
        int cons = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.CMDQ_CONS);
        checkError(unit, cons);
        if (Smmuv3Queue.indexAndWrap(cons, log2) != prod) {
            throw IommuException.of(Errno.ETIMEDOUT, "%s: CMD_SYNC not complete: CMDQ_CONS 0x%x behind PROD 0x%x",
                    unit.name(), cons, prod);
        }
    }

    /**
     * A command error stops the SMMU at the bad command. Like Linux {@code arm_smmu_cmdq_skip_err}
     * with the GERROR handler, the command at CONS is replaced by a CMD_SYNC and GERROR.CMDQ_ERR is
     * acknowledged through GERRORN, so the SMMU goes on with the commands after it and the queue
     * stays usable; the caller still gets EIO (Linux only logs it). Linux retries instead of
     * skipping for CERROR_ABT and CERROR_ATC_INV_SYNC; here every error is skipped, because the
     * emulated SMMU would fail the same command again.
     */
    private static void checkError(UnitContext unit, int cons) {
        if ((Smmuv3GlobalErrors.pending(unit.registers()) & Smmuv3GlobalErrors.CMDQ_ERR) == 0) {
            return; // CONS.ERR is meaningful only while GERROR.CMDQ_ERR is pending
        }
        int err = (int) Smmuv3Queue.CMDQ_CONS_ERR.extract(Integer.toUnsignedLong(cons));
        long base = Smmuv3HostMmio.read64(unit, Smmuv3RegisterOffsets.CMDQ_BASE);
        int log2 = (int) Smmuv3Queue.BASE_LOG2SIZE.extract(base);
        long entry = Smmuv3Queue.entryAddress(base, log2, Smmuv3Queue.COMMAND_SIZE, cons);
        Smmuv3Command bad = new Smmuv3Command(unit.memory().read64(entry), unit.memory().read64(entry + 8));
        Smmuv3Command sync = Smmuv3CommandBuilder.sync();
        unit.memory().write64(entry, sync.dword0());
        unit.memory().write64(entry + 8, sync.dword1());
        Smmuv3HostMmio.write32(unit, Smmuv3RegisterOffsets.GERRORN,
                Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.GERROR));
        throw IommuException.of(Errno.EIO, "%s: the SMMU refused command 0x%x (opcode 0x%02x) with CMDQ_CONS.ERR %d; "
                + "it was skipped", unit.name(), bad.dword0(), bad.opcode(), err);
    }

    private Smmuv3CommandSubmission() {
    }
}
