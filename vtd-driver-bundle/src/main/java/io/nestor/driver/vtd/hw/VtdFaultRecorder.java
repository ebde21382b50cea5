package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.Lock;

/**
 * Primary fault logging (VT-d spec 7.2.1 and 11.4.14; Nestor {@code hw-formats.md} 1.8): the
 * fault-recording registers at CAP.FRO × 16, CAP.NFR + 1 of them, 16 bytes each, used round robin,
 * and their summary in FSTS.
 *
 * <p>A record, as Linux {@code dmar_fault} reads it:
 * <pre>
 *   63:12  FI    page address of the request's input address (IOVA / GVA)
 *   79:64  SID   requester id
 *   92     T2    0: not a page request (page requests go to the page request queue)
 *   93     PRIV  privileged-mode request
 *   94     EXE   execute request
 *   95     PP    PASID present
 *   103:96 FR    fault reason ({@link VtdFaultReasonEncoder})
 *   123:104 PV   PASID value (when PP)
 *   125:124 AT   00: untranslated request
 *   126    T1    1 read (or execute), 0 write or AtomicOp
 *   127    F     fault pending, write 1 to clear
 * </pre>
 *
 * <p>Rules, in order (QEMU {@code vtd_report_frcd_fault}): with FSTS.PFO set the fault is dropped;
 * if the next record still has F set, PFO is set and the fault dropped; otherwise the record is
 * written with F, the next index advances, and if PPF was clear FRI takes the record's index. The
 * fault event fires when none of PPF, PFO and IQE was pending. QEMU also collapses a fault whose
 * SID already has a pending record; that is an implementation choice ("may"), not done here.
 *
 * <p>Fault processing disable: faults a configuration marks FPD and that the specification calls
 * qualified are not recorded ({@link VtdFaultProcessingDisable}).
 *
 * <p>Invariant: FSTS.PPF is set exactly when some record has F set. Callers need not hold the
 * register lock; {@link #record} takes it.
 */
public final class VtdFaultRecorder {

    /** F, fault pending: bit 127 of a record, bit 63 of its upper quadword. */
    static final long F = 1L << 63;
    private static final int PRIV = 29;
    private static final int EXE = 30;
    private static final int PP = 31;
    private static final int FR = 32;
    private static final int PV = 40;
    private static final int T1 = 62;

    /**
     * Records {@code fault} of a request from {@code device} with {@code pasid}
     * ({@link DeviceInfo#NO_PASID} for none).
     *
     * @return the 16-byte record as written (little-endian), or an empty array when it was dropped
     */
    public static byte[] record(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        int reason = VtdFaultReasonEncoder.encode(unit, device, pasid, fault);
        if (VtdFaultProcessingDisable.suppresses(unit, device, pasid, reason)) {
            return new byte[0];
        }
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            return write(unit.registers(), device, pasid, fault, reason);
        } finally {
            lock.unlock();
        }
    }

    private static byte[] write(RegisterFile regs, DeviceInfo device, int pasid, Fault fault, int reason) {
        int fsts = regs.read32(VtdRegisterOffsets.FSTS);
        if ((fsts & VtdFaultStatusRegister.PFO) != 0) {
            return new byte[0];
        }
        long cap = regs.read64(VtdRegisterOffsets.CAP);
        int count = VtdCapabilityRegister.faultRecordCount(cap);
        int index = Integer.remainderUnsigned(regs.read32(VtdRegisterOffsets.NEXT_FAULT_RECORD), count);
        int slot = VtdCapabilityRegister.faultRecordOffset(cap) + index * VtdRegisterOffsets.FAULT_RECORD_SIZE;
        if ((regs.read64(slot + 8) & F) != 0) {
            regs.write32(VtdRegisterOffsets.FSTS, fsts | VtdFaultStatusRegister.PFO);
            raiseEvent(regs, fsts);
            return new byte[0];
        }
        long low = fault.iova() & ~0xFFFL;
        long high = (device.sourceId() & 0xFFFFL)
                | bit(fault.access(), Access.PRIV, PRIV)
                | bit(fault.access(), Access.EXEC, EXE)
                | (long) (reason & 0xFF) << FR
                | ((fault.access() & Access.WRITE) == 0 ? 1L << T1 : 0)
                | F;
        if (pasid != DeviceInfo.NO_PASID) {
            high |= 1L << PP | (long) (pasid & 0xFFFFF) << PV;
        }
        regs.write64(slot, low);
        regs.write64(slot + 8, high);
        regs.write32(VtdRegisterOffsets.NEXT_FAULT_RECORD, (index + 1) % count);
        if ((fsts & VtdFaultStatusRegister.PPF) == 0) {
            int next = (fsts & ~VtdFaultStatusRegister.FRI_MASK) | VtdFaultStatusRegister.PPF
                    | index << VtdFaultStatusRegister.FRI_SHIFT;
            regs.write32(VtdRegisterOffsets.FSTS, next);
            raiseEvent(regs, fsts);
        }
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(low).putLong(high).array();
    }

    private static long bit(int access, int accessBit, int position) {
        return (access & accessBit) != 0 ? 1L << position : 0;
    }

    /** A new fault event only when none of its conditions was pending before (QEMU vtd_generate_fault_event). */
    private static void raiseEvent(RegisterFile regs, int fstsBefore) {
        if ((fstsBefore & VtdFaultStatusRegister.EVENT_CONDITIONS) == 0) {
            VtdEventInterrupt.signal(regs, VtdRegisterOffsets.FECTL);
        }
    }

    /** Recomputes FSTS.PPF from the F bits; the fault event stops pending when nothing remains. */
    static void updatePrimaryPending(RegisterFile regs) {
        long cap = regs.read64(VtdRegisterOffsets.CAP);
        int first = VtdCapabilityRegister.faultRecordOffset(cap);
        boolean pending = false;
        for (int i = 0; i < VtdCapabilityRegister.faultRecordCount(cap) && !pending; i++) {
            pending = (regs.read64(first + i * VtdRegisterOffsets.FAULT_RECORD_SIZE + 8) & F) != 0;
        }
        int fsts = regs.read32(VtdRegisterOffsets.FSTS);
        int next = pending ? fsts | VtdFaultStatusRegister.PPF : fsts & ~VtdFaultStatusRegister.PPF;
        regs.write32(VtdRegisterOffsets.FSTS, next);
        if ((next & VtdFaultStatusRegister.EVENT_CONDITIONS) == 0) {
            VtdEventInterrupt.clearPending(regs, VtdRegisterOffsets.FECTL);
        }
    }

    private VtdFaultRecorder() {
    }
}
