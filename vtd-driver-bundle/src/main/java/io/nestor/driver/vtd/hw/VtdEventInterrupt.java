package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.RegisterFile;

/**
 * The three VT-d event interrupts — fault event (FECTL 0x38), invalidation completion event
 * (IECTL 0xA0), page request event (PECTL 0xE0) — each controlled by a register with IM (bit 31,
 * interrupt mask) and IP (bit 30, interrupt pending) (VT-d spec 7.4 / 11.4.7.2; QEMU
 * {@code vtd_generate_interrupt}).
 *
 * <p>Nestor delivers no MSIs, so an unmasked event is "sent" and leaves IP clear, exactly as it
 * reads after the hardware sent the message; a masked event sets IP, which stays until the
 * condition is cleared by software (then {@link #clearPending}) or the mask is lifted (the message
 * is then sent and IP clears).
 */
public final class VtdEventInterrupt {

    /** Interrupt mask. */
    public static final int IM = 1 << 31;
    /** Interrupt pending. */
    public static final int IP = 1 << 30;

    /** Signals the event controlled by the register at {@code controlOffset}. */
    public static void signal(RegisterFile regs, int controlOffset) {
        int ctl = regs.read32(controlOffset);
        if ((ctl & IM) != 0) {
            regs.write32(controlOffset, ctl | IP);
        }
    }

    /** The event's condition was cleared by software: nothing remains to be delivered. */
    public static void clearPending(RegisterFile regs, int controlOffset) {
        regs.write32(controlOffset, regs.read32(controlOffset) & ~IP);
    }

    /**
     * Software wrote the control register: only IM is writable; unmasking a pending event sends it,
     * which clears IP.
     */
    public static void writeControl(RegisterFile regs, int controlOffset, int value) {
        int ip = regs.read32(controlOffset) & IP;
        if ((value & IM) == 0) {
            ip = 0;
        }
        regs.write32(controlOffset, (value & IM) | ip);
    }

    private VtdEventInterrupt() {
    }
}
