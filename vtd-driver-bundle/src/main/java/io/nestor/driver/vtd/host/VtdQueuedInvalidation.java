package io.nestor.driver.vtd.host;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.driver.vtd.hw.VtdFaultStatusRegister;
import io.nestor.driver.vtd.hw.VtdInvalidationQueue;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * Synchronous submission to a unit's invalidation queue, as Linux {@code qi_submit_sync()}
 * (drivers/iommu/intel/dmar.c) does it: under the register lock, the descriptors go into the queue
 * in memory at the tail, followed by an invalidation-wait descriptor that writes {@code QI_DONE} to
 * a status slot; writing the new tail to IQT hands them to the hardware, and the submission is
 * complete when the status slot reads {@code QI_DONE}.
 *
 * <p>Where things are, all read back from the registers (the driver keeps nothing): IQA gives the
 * queue base, size (QS) and descriptor width (DW); IQH / IQT the indices. {@link VtdUnitBringUp}
 * allocates the queue as Linux does in scalable mode (two pages, 256 descriptors of 256 bits, QS=1)
 * plus, right after it in the same allocation, the page of wait-status slots ({@link #statusArea}),
 * one 4-byte slot per queue index, Linux's {@code qi->desc_status[]}.
 *
 * <p>On an invalidation-queue error (FSTS.IQE) Linux's {@code qi_check_fault()} recovery is applied:
 * the descriptor at IQH is overwritten with the wait descriptor, IQE is cleared so the hardware
 * moves on, and the submission fails; here with EIO naming IQERCD, since such an error is a driver
 * or hardware fault, never a client's.
 */
public final class VtdQueuedInvalidation {

    /** FSTS.IQE, invalidation queue error. */
    static final int FSTS_IQE = VtdFaultStatusRegister.IQE;
    /** IQA.DW, 256-bit descriptors. */
    static final long IQA_DW = VtdInvalidationQueue.IQA_DW;
    private static final int PAGE = 4096;

    /**
     * Submits {@code descriptors} followed by a wait descriptor and returns when the hardware has
     * processed all of them.
     *
     * @throws IommuException EIO when the queue is not enabled or the hardware reports a queue
     *     error; EBUSY when the queue has no room (the hardware is not consuming it)
     */
    public static void submitSync(UnitContext unit, List<VtdQiDescriptor> descriptors) {
        submitSync(unit, descriptors, false);
    }

    /**
     * As {@link #submitSync(UnitContext, List)}; with {@code drainPageRequests} the trailing wait
     * descriptor also carries PD, so that it completes only once page requests and responses in
     * flight are drained (Linux {@code QI_OPT_WAIT_DRAIN}; needs ECAP.PDS).
     */
    public static void submitSync(UnitContext unit, List<VtdQiDescriptor> descriptors, boolean drainPageRequests) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            submitLocked(unit, descriptors, drainPageRequests);
        } finally {
            lock.unlock();
        }
    }

    /** The base of the wait-status slots: right after the queue's 2^QS pages. */
    static long statusArea(long iqa) {
        return (iqa & VtdInvalidationQueue.IQA_BASE) + ((long) PAGE << (iqa & VtdInvalidationQueue.IQA_QS));
    }

    private static void submitLocked(UnitContext unit, List<VtdQiDescriptor> descriptors, boolean drain) {
        RegisterFile regs = unit.registers();
        if ((regs.read32(VtdRegisterOffsets.GSTS) & VtdUnitBringUp.GSTS_QIES) == 0) {
            throw IommuException.of(Errno.EIO, "%s: queued invalidation is not enabled", unit.name());
        }
        long iqa = regs.read64(VtdRegisterOffsets.IQA);
        boolean wide = (iqa & IQA_DW) != 0;
        int shift = wide ? 5 : 4;
        int entries = 1 << ((int) (iqa & VtdInvalidationQueue.IQA_QS) + (wide ? 7 : 8));
        long base = iqa & VtdInvalidationQueue.IQA_BASE;
        int tail = (int) (regs.read64(VtdRegisterOffsets.IQT) >>> shift) & (entries - 1);
        int head = (int) (regs.read64(VtdRegisterOffsets.IQH) >>> shift) & (entries - 1);
        int used = (tail - head) & (entries - 1);
        int needed = descriptors.size() + 1;
        if (entries - 1 - used < needed) {
            throw IommuException.of(Errno.EBUSY, "%s: invalidation queue has %d free entries, %d needed", unit.name(),
                    entries - 1 - used, needed);
        }
        PhysicalMemory memory = unit.memory();
        int index = tail;
        for (VtdQiDescriptor d : descriptors) {
            write(memory, base + ((long) index << shift), d, wide);
            index = (index + 1) & (entries - 1);
        }
        int waitIndex = index;
        long status = statusArea(iqa) + 4L * waitIndex;
        memory.write32(status, VtdQiDescriptor.QI_IN_USE);
        VtdQiDescriptor wait = VtdQiDescriptor.waitWithStatus(status, VtdQiDescriptor.QI_DONE);
        if (drain) {
            wait = new VtdQiDescriptor(wait.q0() | VtdQiDescriptor.WAIT_PAGE_REQUEST_DRAIN, wait.q1(), 0, 0);
        }
        write(memory, base + ((long) waitIndex << shift), wait, wide);
        int newTail = (waitIndex + 1) & (entries - 1);
        VtdRegisterWrites.write64(unit, VtdRegisterOffsets.IQT, (long) newTail << shift);

        if (memory.read32(status) == VtdQiDescriptor.QI_DONE) {
            return;
        }
        int fsts = regs.read32(VtdRegisterOffsets.FSTS);
        if ((fsts & FSTS_IQE) != 0) {
            long iqercd = regs.read64(VtdRegisterOffsets.IQERCD);
            int bad = (int) (regs.read64(VtdRegisterOffsets.IQH) >>> shift) & (entries - 1);
            write(memory, base + ((long) bad << shift), wait, wide);
            VtdRegisterWrites.write32(unit, VtdRegisterOffsets.FSTS, FSTS_IQE);
            if (memory.read32(status) != VtdQiDescriptor.QI_DONE) {
                // Some hardware resumes only on a tail write; the same tail again is harmless.
                VtdRegisterWrites.write64(unit, VtdRegisterOffsets.IQT, (long) newTail << shift);
            }
            throw IommuException.of(Errno.EIO, "%s: invalidation queue error at index %d, IQERCD 0x%x", unit.name(),
                    bad, iqercd);
        }
        throw IommuException.of(Errno.EIO, "%s: invalidation wait at index %d did not complete", unit.name(),
                waitIndex);
    }

    private static void write(PhysicalMemory memory, long address, VtdQiDescriptor d, boolean wide) {
        memory.write64(address, d.q0());
        memory.write64(address + 8, d.q1());
        if (wide) {
            memory.write64(address + 16, d.q2());
            memory.write64(address + 24, d.q3());
        }
    }

    private VtdQueuedInvalidation() {
    }
}
