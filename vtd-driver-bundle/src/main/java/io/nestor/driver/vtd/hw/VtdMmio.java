package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.InvalidationScope;
import java.util.concurrent.locks.Lock;

/**
 * The MMIO write path of a VT-d unit: every register write software (the host-driver half) makes
 * goes through here, which stores what the register keeps and carries out the hardware's side
 * effects (VT-d spec chapter 11; Nestor {@code hw-formats.md} 1.1, 1.7-1.9). Reads need no side
 * effects and go straight to {@link UnitContext#registers()}.
 *
 * <p>What a write does, per register:
 * <ul>
 *   <li>GCMD: write-only (reads 0). TE, QIE are persistent and mirrored into GSTS.TES / QIES; SRTP is
 *       one-shot: it latches RTADDR (root-table address and TTM) into
 *       {@link VtdRegisterOffsets#LATCHED_ROOT_TABLE}, which is what the walk uses, and sets RTPS.
 *       WBF completes at once (WBFS reads 0). Interrupt remapping and advanced fault logging are
 *       not reported in CAP / ECAP, so IRE, SIRTP, CFI, SFL and EAFL have no effect. Disabling QIE
 *       resets IQH to 0; enabling it with IQT already ahead processes the queue (QEMU accepts that
 *       order, which some guests use).</li>
 *   <li>RTADDR, IQA, PQA, PQH, PQT: stored with their reserved bits cleared.</li>
 *   <li>IQT: stored; then the invalidation queue is processed ({@link VtdInvalidationQueue}).</li>
 *   <li>FSTS: PFO, AFO, APF, IQE, ICE, ITE are write-1-to-clear; clearing IQE resumes the queue.</li>
 *   <li>A fault-recording register: F (bit 127) is write-1-to-clear; PPF follows the F bits.</li>
 *   <li>ICS.IWC and PRS.PPR / PRS.PRO: write-1-to-clear.</li>
 *   <li>FECTL / IECTL / PECTL: only IM is writable ({@link VtdEventInterrupt}).</li>
 *   <li>VER, CAP, ECAP, GSTS, IQH, IQERCD and the internal latches: read-only, writes ignored.</li>
 *   <li>CCMD and IOTLB_REG: stored; with ICC / IVT set the register-based invalidation runs and
 *       the bit clears ({@link VtdRegisterInvalidation}).</li>
 *   <li>Anything else (event data / address registers, IVA, IRTA): stored as written.</li>
 * </ul>
 *
 * <p>32-bit accesses to a half of a 64-bit register touch only that half, as on the real bus
 * (Linux writes IQT and the F bit of a fault record with {@code writel}). Every write holds
 * {@link UnitContext#registerLock()}, so processing the queue never interleaves with another
 * writer.
 *
 * <p>Turning translation on or off changes how every request is decoded, yet the core caches
 * decoded configurations; so a TE change also drops them ({@link InvalidationScope.UnitConfig}).
 * That is bookkeeping of the model (silicon looks at TES on every request), not an invalidation
 * software could observe; SRTP, by contrast, leaves every cache alone, as the spec says, and
 * software follows it with global invalidations.
 */
public final class VtdMmio {

    /** GCMD / GSTS bits (Linux {@code DMA_GCMD_*}). */
    public static final int GCMD_TE = 1 << 31;
    public static final int GCMD_SRTP = 1 << 30;
    public static final int GCMD_QIE = 1 << 26;

    /** RTADDR: root-table address 63:12 and TTM 11:10; bits 9:0 reserved. */
    private static final long RTADDR_WRITABLE = ~0x3FFL;
    /** IQA: base 63:12, DW 11, QS 2:0. */
    private static final long IQA_WRITABLE = VtdInvalidationQueue.IQA_BASE | VtdInvalidationQueue.IQA_DW
            | VtdInvalidationQueue.IQA_QS;
    /** PQA: base 63:12, PQS 2:0. */
    private static final long PQA_WRITABLE = VtdPageRequestQueue.PQA_BASE | VtdPageRequestQueue.PQA_PQS;

    /** A 32-bit register write at a 4-byte-aligned offset. */
    public static void write32(UnitContext unit, int offset, int value) {
        check(unit, offset, 4);
        int shift = (offset & 4) * 8;
        write(unit, offset & ~7, Integer.toUnsignedLong(value) << shift, 0xFFFF_FFFFL << shift);
    }

    /** A 64-bit register write at an 8-byte-aligned offset. */
    public static void write64(UnitContext unit, int offset, long value) {
        check(unit, offset, 8);
        write(unit, offset, value, -1L);
    }

    private static void check(UnitContext unit, int offset, int size) {
        if (offset < 0 || (offset & (size - 1)) != 0 || offset > unit.registers().size() - size) {
            throw new IllegalArgumentException(unit.name() + ": " + (size * 8) + "-bit register write at 0x"
                    + Integer.toHexString(offset) + " is misaligned or outside the register file");
        }
    }

    /**
     * Writes the bits {@code mask} of the 64-bit register slot at {@code slot} (8-aligned) to the
     * corresponding bits of {@code value}.
     */
    private static void write(UnitContext unit, int slot, long value, long mask) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            dispatch(unit, slot, value, mask);
        } finally {
            lock.unlock();
        }
    }

    private static void dispatch(UnitContext unit, int slot, long value, long mask) {
        RegisterFile regs = unit.registers();
        int low = (int) value;
        int high = (int) (value >>> 32);
        boolean lowWritten = (mask & 0xFFFF_FFFFL) != 0;
        boolean highWritten = (mask >>> 32) != 0;
        long cap = regs.read64(VtdRegisterOffsets.CAP);
        int records = VtdCapabilityRegister.faultRecordOffset(cap);
        int recordsEnd = records + VtdCapabilityRegister.faultRecordCount(cap) * VtdRegisterOffsets.FAULT_RECORD_SIZE;
        if (slot >= records && slot < recordsEnd) {
            if (((slot - records) & 8) != 0 && (value & mask & VtdFaultRecorder.F) != 0) {
                clearFaultRecord(regs, slot);
            }
            return;
        }
        if (slot >= VtdRegisterOffsets.INTERNAL_LATCHES && slot < VtdRegisterOffsets.INTERNAL_LATCHES_END) {
            return;
        }
        switch (slot) {
            case VtdRegisterOffsets.VER:
            case VtdRegisterOffsets.CAP:
            case VtdRegisterOffsets.ECAP:
            case VtdRegisterOffsets.IQH:
            case VtdRegisterOffsets.IQERCD:
                return;
            case VtdRegisterOffsets.GCMD: // GCMD low, GSTS high (read-only)
                if (lowWritten) {
                    globalCommand(unit, low);
                }
                return;
            case VtdRegisterOffsets.RTADDR:
                store(regs, slot, value, mask & RTADDR_WRITABLE);
                return;
            case VtdRegisterOffsets.FSTS & ~7: // FSTS is the high half
                if (highWritten) {
                    faultStatus(unit, high);
                }
                return;
            case VtdRegisterOffsets.FECTL: // FECTL low, FEDATA high
                if (lowWritten) {
                    VtdEventInterrupt.writeControl(regs, VtdRegisterOffsets.FECTL, low);
                }
                store(regs, slot, value, mask & ~0xFFFF_FFFFL);
                return;
            case VtdRegisterOffsets.IQT:
                store(regs, slot, value, mask & VtdInvalidationQueue.QUEUE_OFFSET);
                VtdInvalidationQueue.process(unit);
                return;
            case VtdRegisterOffsets.IQA:
                store(regs, slot, value, mask & IQA_WRITABLE);
                return;
            case VtdRegisterOffsets.ICS & ~7: // ICS is the high half
                if (highWritten && (high & VtdInvalidationQueue.ICS_IWC) != 0) {
                    regs.write32(VtdRegisterOffsets.ICS, regs.read32(VtdRegisterOffsets.ICS) & ~VtdInvalidationQueue.ICS_IWC);
                    VtdEventInterrupt.clearPending(regs, VtdRegisterOffsets.IECTL);
                }
                return;
            case VtdRegisterOffsets.IECTL: // IECTL low, IEDATA high
                if (lowWritten) {
                    VtdEventInterrupt.writeControl(regs, VtdRegisterOffsets.IECTL, low);
                }
                store(regs, slot, value, mask & ~0xFFFF_FFFFL);
                return;
            case VtdRegisterOffsets.PQH:
            case VtdRegisterOffsets.PQT:
                store(regs, slot, value, mask & VtdPageRequestQueue.QUEUE_OFFSET);
                return;
            case VtdRegisterOffsets.PQA:
                store(regs, slot, value, mask & PQA_WRITABLE);
                return;
            case VtdRegisterOffsets.PRS & ~7: // PRS is the high half
                if (highWritten) {
                    pageRequestStatus(regs, high);
                }
                return;
            case VtdRegisterOffsets.CCMD:
                store(regs, slot, value, mask);
                VtdRegisterInvalidation.contextCommand(unit);
                return;
            case VtdRegisterOffsets.IOTLB:
                store(regs, slot, value, mask);
                VtdRegisterInvalidation.iotlbCommand(unit);
                return;
            case VtdRegisterOffsets.PECTL: // PECTL low, PEDATA high
                if (lowWritten) {
                    VtdEventInterrupt.writeControl(regs, VtdRegisterOffsets.PECTL, low);
                }
                store(regs, slot, value, mask & ~0xFFFF_FFFFL);
                return;
            default:
                store(regs, slot, value, mask);
        }
    }

    private static void store(RegisterFile regs, int slot, long value, long mask) {
        if (mask != 0) {
            regs.write64(slot, (regs.read64(slot) & ~mask) | (value & mask));
        }
    }

    /** GCMD (VT-d spec 11.4.4): one command per write, the status reflected in GSTS. */
    private static void globalCommand(UnitContext unit, int command) {
        RegisterFile regs = unit.registers();
        int gsts = regs.read32(VtdRegisterOffsets.GSTS);
        int next = gsts;
        if ((command & GCMD_SRTP) != 0) {
            regs.write64(VtdRegisterOffsets.LATCHED_ROOT_TABLE, regs.read64(VtdRegisterOffsets.RTADDR));
            next |= GCMD_SRTP;
        }
        next = (command & GCMD_TE) != 0 ? next | GCMD_TE : next & ~GCMD_TE;
        boolean queueWasEnabled = (gsts & GCMD_QIE) != 0;
        boolean queueEnabled = (command & GCMD_QIE) != 0;
        next = queueEnabled ? next | GCMD_QIE : next & ~GCMD_QIE;
        regs.write32(VtdRegisterOffsets.GSTS, next);
        if (((gsts ^ next) & GCMD_TE) != 0) {
            unit.invalidate(new InvalidationScope.UnitConfig(unit.index()));
        }
        if (queueWasEnabled && !queueEnabled) {
            // IQH reads 0 while queued invalidation is disabled (VT-d spec 11.4.9.1).
            regs.write64(VtdRegisterOffsets.IQH, 0L);
        } else if (!queueWasEnabled && queueEnabled) {
            VtdInvalidationQueue.process(unit);
        }
    }

    /** FSTS write: clear the write-1-to-clear bits written as 1. */
    private static void faultStatus(UnitContext unit, int written) {
        RegisterFile regs = unit.registers();
        int fsts = regs.read32(VtdRegisterOffsets.FSTS);
        int cleared = fsts & ~(written & VtdFaultStatusRegister.WRITE_ONE_TO_CLEAR);
        regs.write32(VtdRegisterOffsets.FSTS, cleared);
        if ((cleared & VtdFaultStatusRegister.EVENT_CONDITIONS) == 0) {
            VtdEventInterrupt.clearPending(regs, VtdRegisterOffsets.FECTL);
        }
        if ((fsts & VtdFaultStatusRegister.IQE) != 0 && (cleared & VtdFaultStatusRegister.IQE) == 0) {
            VtdInvalidationQueue.process(unit);
        }
    }

    /** Clears F of the fault record whose upper quadword is at {@code upper}; PPF follows. */
    private static void clearFaultRecord(RegisterFile regs, int upper) {
        regs.write64(upper, regs.read64(upper) & ~VtdFaultRecorder.F);
        VtdFaultRecorder.updatePrimaryPending(regs);
    }

    /** PRS write: PPR (bit 0) and PRO (bit 1) are write-1-to-clear. */
    private static void pageRequestStatus(RegisterFile regs, int written) {
        int prs = regs.read32(VtdRegisterOffsets.PRS);
        int cleared = prs & ~(written & (VtdPageRequestQueue.PRS_PPR | VtdPageRequestQueue.PRS_PRO));
        regs.write32(VtdRegisterOffsets.PRS, cleared);
        if ((cleared & VtdPageRequestQueue.PRS_PPR) == 0) {
            VtdEventInterrupt.clearPending(regs, VtdRegisterOffsets.PECTL);
        }
    }

    private VtdMmio() {
    }
}
