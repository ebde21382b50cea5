package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.concurrent.locks.Lock;

/**
 * An SMMU-to-software queue: the event queue or the PRI queue. The SMMU writes an entry at PROD and
 * advances PROD; software consumes from CONS (hw-formats.md §2.1; Linux {@code queue_sync_prod_in},
 * {@code queue_sync_cons_ovf}).
 *
 * <p>An entry is lost, and {@link #append} answers false, when the queue is disabled (CR0.EVTQEN /
 * PRIQEN clear), when it is full, or when writing it aborts. A full queue signals overflow by
 * toggling PROD.OVFLG unless an overflow is already outstanding (PROD.OVFLG differing from
 * CONS.OVACKFLG, which software writes back to acknowledge). While a PRI queue overflow is
 * outstanding the SMMU adds nothing to that queue; the event queue keeps accepting records (as the
 * Linux commit "Acknowledge pri/event queue overflow if any" describes both). A write abort raises
 * GERROR.EVTQ_ABT_ERR / PRIQ_ABT_ERR. (hw-formats.md §2.6 has an overflow raise EVTQ_ABT_ERR too:
 * that is QEMU, whose {@code smmuv3_write_eventq} fails on a full queue; the architecture and
 * Linux's {@code queue_sync_prod_in} signal overflow with OVFLG, which is what is done here.)
 *
 * <p>Holds the unit's register lock while it reads and moves the indexes.
 */
enum Smmuv3OutputQueue {
    EVENT(Smmuv3RegisterOffsets.EVTQ_BASE, Smmuv3RegisterOffsets.EVTQ_PROD, Smmuv3RegisterOffsets.EVTQ_CONS,
            Smmuv3ControlRegisters.CR0_EVTQEN, Smmuv3Idr1.EVENTQS, Smmuv3Queue.EVENT_SIZE,
            Smmuv3GlobalErrors.EVTQ_ABT_ERR, false),
    PRI(Smmuv3RegisterOffsets.PRIQ_BASE, Smmuv3RegisterOffsets.PRIQ_PROD, Smmuv3RegisterOffsets.PRIQ_CONS,
            Smmuv3ControlRegisters.CR0_PRIQEN, Smmuv3Idr1.PRIQS, Smmuv3Queue.PRI_ENTRY_SIZE,
            Smmuv3GlobalErrors.PRIQ_ABT_ERR, true);

    private final int baseOffset;
    private final int prodOffset;
    private final int consOffset;
    private final RegisterField enable;
    private final RegisterField maxLog2;
    private final int entrySize;
    private final int abortError;
    private final boolean overflowBlocks;

    Smmuv3OutputQueue(int baseOffset, int prodOffset, int consOffset, RegisterField enable, RegisterField maxLog2,
            int entrySize, int abortError, boolean overflowBlocks) {
        this.baseOffset = baseOffset;
        this.prodOffset = prodOffset;
        this.consOffset = consOffset;
        this.enable = enable;
        this.maxLog2 = maxLog2;
        this.entrySize = entrySize;
        this.abortError = abortError;
        this.overflowBlocks = overflowBlocks;
    }

    /** Writes {@code dwords} (one entry) at PROD and advances it; false when the entry is lost. */
    boolean append(UnitContext unit, long[] dwords) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            RegisterFile regs = unit.registers();
            if (!enable.isSet(Integer.toUnsignedLong(regs.read32(Smmuv3RegisterOffsets.CR0)))) {
                return false;
            }
            long base = regs.read64(baseOffset);
            int log2 = Smmuv3Queue.log2Size(base, Smmuv3Idr1.get(maxLog2, regs.read32(Smmuv3RegisterOffsets.IDR1)));
            int prod = regs.read32(prodOffset);
            int cons = regs.read32(consOffset);
            boolean overflowOutstanding = Smmuv3Queue.overflowFlag(prod) != Smmuv3Queue.overflowFlag(cons);
            if (overflowBlocks && overflowOutstanding) {
                return false;
            }
            if (Smmuv3Queue.isFull(prod, cons, log2)) {
                if (!overflowOutstanding) {
                    Smmuv3QueueIndexes.write(regs, prodOffset, (int) (prod ^ Smmuv3Queue.OVERFLOW.mask()));
                }
                return false;
            }
            long address = Smmuv3Queue.entryAddress(base, log2, entrySize, prod);
            try {
                for (int i = 0; i < dwords.length; i++) {
                    unit.memory().write64(address + 8L * i, dwords[i]);
                }
            } catch (IommuException e) {
                if (e.errno() != Errno.EFAULT) {
                    throw e;
                }
                Smmuv3GlobalErrors.raise(regs, abortError);
                return false;
            }
            Smmuv3QueueIndexes.write(regs, prodOffset, Smmuv3Queue.advance(prod, log2));
            return true;
        } finally {
            lock.unlock();
        }
    }
}
