package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;

/**
 * The hardware side of queued invalidation (VT-d spec 6.5.2; Nestor {@code hw-formats.md} 1.7):
 * fetches descriptors from IQH up to IQT in the ring IQA describes, carries each out, and advances
 * IQH past it. Processing is synchronous: when {@link #process} returns, every descriptor before
 * IQT is complete (or the queue stopped on an error), so fences (FN) and drains (DR / DW / PD) need
 * no further action.
 *
 * <p>Ring geometry: IQA bits 63:12 give the base, QS (bits 2:0) the size, 4 KiB × 2^QS; DW (bit 11)
 * selects 256-bit descriptors. IQH / IQT hold the byte offset of a descriptor (bits 18:4) and wrap
 * to zero at the end of the ring.
 *
 * <p>Errors: a tail beyond the ring, IQT bit 4 set in a 256-bit ring, a fetch beyond memory, a
 * reserved type or field, or a type that needs 256-bit descriptors in a 128-bit ring sets FSTS.IQE
 * with the cause in IQERCD.IQEI, raises the fault event, and stops with IQH pointing at the
 * refused descriptor, which has had no effect. Nothing is processed while IQE is set; when software
 * clears it ({@link VtdMmio}), processing resumes from IQH (Linux {@code qi_check_fault} rewrites
 * the refused slot and clears IQE, expecting exactly that).
 *
 * <p>Callers hold {@link UnitContext#registerLock()}.
 */
public final class VtdInvalidationQueue {

    /** IQA: DW, 256-bit descriptors. */
    public static final long IQA_DW = 1L << 11;
    /** IQA: QS, bits 2:0. */
    public static final long IQA_QS = 0x7;
    /** IQA: queue base, bits 63:12. */
    public static final long IQA_BASE = ~0xFFFL;
    /** IQH / IQT: descriptor offset, bits 18:4. */
    public static final long QUEUE_OFFSET = 0x7FFF0L;
    /** ICS: invalidation wait descriptor complete. */
    public static final int ICS_IWC = 1;
    /** IQERCD: IQEI, bits 3:0. */
    public static final long IQERCD_IQEI = 0xF;

    /** Wait descriptor qw0 fields. */
    private static final long WAIT_IF = 1L << 4;
    private static final long WAIT_SW = 1L << 5;
    private static final long WAIT_PD = 1L << 7;
    /** Wait qw0 bits 8 and 31:12 are reserved; bit 7 (PD) too without ECAP.PDS. */
    private static final long WAIT_RESERVED_0 = 0xFFFF_F100L;
    /** Wait qw1 bits 1:0 are reserved (the status address is 4-byte aligned). */
    private static final long WAIT_RESERVED_1 = 0x3L;

    /** Page group response qw0: PASID present, private data present, response code, RID. */
    private static final long PGR_PASID_PRESENT = 1L << 4;
    /** Page group response qw0 bits 8:6 and 63:52 are reserved. */
    private static final long PGR_RESERVED_0 = 0xFFF0_0000_0000_01C0L;
    /**
     * Page group response qw1: bits 1:0 and 63:12 reserved. Bit 2 (LPIG) is reserved since spec
     * 4.0 but older Linux sets it; it is ignored rather than refused.
     */
    private static final long PGR_RESERVED_1 = 0xFFFF_FFFF_FFFF_F003L;

    /**
     * Processes descriptors from IQH to IQT if queued invalidation is enabled and no queue error is
     * pending.
     */
    public static void process(UnitContext unit) {
        RegisterFile regs = unit.registers();
        if ((regs.read32(VtdRegisterOffsets.GSTS) & VtdMmio.GCMD_QIE) == 0
                || (regs.read32(VtdRegisterOffsets.FSTS) & VtdFaultStatusRegister.IQE) != 0) {
            return;
        }
        long iqa = regs.read64(VtdRegisterOffsets.IQA);
        boolean wide = (iqa & IQA_DW) != 0;
        long base = iqa & IQA_BASE;
        long ringBytes = 4096L << (iqa & IQA_QS);
        int descriptorBytes = wide ? 32 : 16;
        long head = regs.read64(VtdRegisterOffsets.IQH) & QUEUE_OFFSET;
        long tail = regs.read64(VtdRegisterOffsets.IQT) & QUEUE_OFFSET;
        try {
            if (wide && (tail & 0x10) != 0) {
                throw new VtdQueueErrorException(VtdQueueErrorException.TAIL_MISALIGNED,
                        "IQT 0x" + Long.toHexString(tail) + " has bit 4 set in a 256-bit queue");
            }
            if (tail >= ringBytes) {
                throw new VtdQueueErrorException(VtdQueueErrorException.INVALID_TAIL,
                        "IQT 0x" + Long.toHexString(tail) + " beyond a queue of 0x" + Long.toHexString(ringBytes) + " bytes");
            }
            while (head != tail) {
                VtdInvalidationDescriptor d = fetch(unit.memory(), base + head, wide);
                execute(unit, d);
                head = (head + descriptorBytes) % ringBytes;
                regs.write64(VtdRegisterOffsets.IQH, head);
            }
        } catch (VtdQueueErrorException e) {
            queueError(regs, e.code());
        }
    }

    private static VtdInvalidationDescriptor fetch(PhysicalMemory memory, long address, boolean wide)
            throws VtdQueueErrorException {
        try {
            long q0 = memory.read64(address);
            long q1 = memory.read64(address + 8);
            if (!wide) {
                return new VtdInvalidationDescriptor(q0, q1, 0, 0, false);
            }
            return new VtdInvalidationDescriptor(q0, q1, memory.read64(address + 16), memory.read64(address + 24), true);
        } catch (IommuException e) {
            if (e.errno() == Errno.EFAULT) {
                throw new VtdQueueErrorException(VtdQueueErrorException.FETCH_ERROR,
                        "descriptor fetch at 0x" + Long.toHexString(address) + " failed");
            }
            throw e;
        }
    }

    /** Carries out one descriptor, validating it completely first. */
    private static void execute(UnitContext unit, VtdInvalidationDescriptor d) throws VtdQueueErrorException {
        int type = d.type();
        if (type >= VtdInvalidationDescriptor.PASID_IOTLB && type <= VtdInvalidationDescriptor.PAGE_GROUP_RESPONSE
                && !d.wide()) {
            throw new VtdQueueErrorException(VtdQueueErrorException.INVALID_WIDTH,
                    "descriptor type " + type + " needs 256-bit descriptors (IQA.DW)");
        }
        switch (type) {
            case VtdInvalidationDescriptor.CONTEXT_CACHE:
            case VtdInvalidationDescriptor.IOTLB:
            case VtdInvalidationDescriptor.DEVICE_TLB:
            case VtdInvalidationDescriptor.PASID_IOTLB:
            case VtdInvalidationDescriptor.PASID_CACHE:
            case VtdInvalidationDescriptor.PASID_DEVICE_TLB:
                for (InvalidationScope scope : VtdInvalidationScopes.of(unit, d)) {
                    unit.invalidate(scope);
                }
                return;
            case VtdInvalidationDescriptor.WAIT:
                await(unit, d);
                return;
            case VtdInvalidationDescriptor.PAGE_GROUP_RESPONSE:
                pageGroupResponse(unit, d);
                return;
            default:
                // Type 4 (interrupt-entry cache) included: this unit reports no interrupt remapping.
                throw new VtdQueueErrorException(VtdQueueErrorException.INVALID_TYPE,
                        "descriptor type " + type + " is reserved or unsupported: " + d);
        }
    }

    /**
     * Invalidation wait (VT-d spec 6.5.2.8): everything before it is complete, so SW writes the
     * 32-bit status data now and IF signals the completion event (ICS.IWC, IECTL).
     */
    private static void await(UnitContext unit, VtdInvalidationDescriptor d) throws VtdQueueErrorException {
        long ecap = unit.registers().read64(VtdRegisterOffsets.ECAP);
        long reserved0 = WAIT_RESERVED_0 | (VtdExtendedCapabilityRegister.PDS.isSet(ecap) ? 0 : WAIT_PD);
        VtdInvalidationDescriptor.requireZero(d.qw0(), reserved0, "invalidation wait qw0");
        VtdInvalidationDescriptor.requireZero(d.qw1(), WAIT_RESERVED_1, "invalidation wait qw1");
        d.requireUpperHalfZero("invalidation wait");
        if ((d.qw0() & WAIT_SW) != 0) {
            long address = d.qw1() & ~WAIT_RESERVED_1;
            try {
                unit.memory().write32(address, (int) (d.qw0() >>> 32));
            } catch (IommuException e) {
                if (e.errno() == Errno.EFAULT) {
                    throw new VtdQueueErrorException(VtdQueueErrorException.FETCH_ERROR,
                            "wait status write to 0x" + Long.toHexString(address) + " failed");
                }
                throw e;
            }
        }
        if ((d.qw0() & WAIT_IF) != 0) {
            RegisterFile regs = unit.registers();
            int ics = regs.read32(VtdRegisterOffsets.ICS);
            // A completion already pending (IWC still set) is not signalled again (QEMU does the same).
            if ((ics & ICS_IWC) == 0) {
                regs.write32(VtdRegisterOffsets.ICS, ics | ICS_IWC);
                VtdEventInterrupt.signal(regs, VtdRegisterOffsets.IECTL);
            }
        }
    }

    /**
     * Page group response (VT-d spec 6.5.2.9 / 7.7.1): routed to the device named by RID. A
     * response code other than success (0), invalid request (1) and response failure (0xF) is a
     * reserved encoding and refused.
     */
    private static void pageGroupResponse(UnitContext unit, VtdInvalidationDescriptor d) throws VtdQueueErrorException {
        long ecap = unit.registers().read64(VtdRegisterOffsets.ECAP);
        if (!VtdExtendedCapabilityRegister.PRS.isSet(ecap)) {
            throw new VtdQueueErrorException(VtdQueueErrorException.INVALID_TYPE,
                    "page group response on a unit without ECAP.PRS");
        }
        VtdInvalidationDescriptor.requireZero(d.qw0(), PGR_RESERVED_0, "page group response qw0");
        VtdInvalidationDescriptor.requireZero(d.qw1(), PGR_RESERVED_1, "page group response qw1");
        int rawCode = (int) (d.qw0() >>> 12) & 0xF;
        PageResponseCode code = PageResponseCode.ofPciCode(rawCode);
        if (code == null) {
            throw new VtdQueueErrorException(VtdQueueErrorException.RESERVED_FIELD,
                    "page group response code 0x" + Integer.toHexString(rawCode) + " is reserved");
        }
        int rid = (int) (d.qw0() >>> 16) & 0xFFFF;
        int pasid = (d.qw0() & PGR_PASID_PRESENT) != 0 ? d.pasid() : -1;
        int groupIndex = (int) (d.qw1() >>> 3) & 0x1FF;
        unit.completePageRequest(rid, new PageResponse(pasid, groupIndex, false, code));
    }

    private static void queueError(RegisterFile regs, int iqei) {
        int fsts = regs.read32(VtdRegisterOffsets.FSTS);
        long iqercd = regs.read64(VtdRegisterOffsets.IQERCD);
        regs.write64(VtdRegisterOffsets.IQERCD, (iqercd & ~IQERCD_IQEI) | iqei);
        regs.write32(VtdRegisterOffsets.FSTS, fsts | VtdFaultStatusRegister.IQE);
        // A new event only when none of its conditions was already pending (QEMU vtd_generate_fault_event).
        if ((fsts & VtdFaultStatusRegister.EVENT_CONDITIONS) == 0) {
            VtdEventInterrupt.signal(regs, VtdRegisterOffsets.FECTL);
        }
    }

    private VtdInvalidationQueue() {
    }
}
