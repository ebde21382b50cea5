package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.RegisterFile;

/**
 * Primary fault logging (VT-d spec 7.2.1; Nestor {@code hw-formats.md} 1.8): the fault-recording
 * registers at CAP.FRO × 16, CAP.NFR + 1 of them, 16 bytes each, and their summary in FSTS.
 *
 * <p>Invariant: FSTS.PPF is set exactly when some record has F set.
 */
public final class VtdFaultRecorder {

    /** F, fault pending: bit 127 of a record, bit 63 of its upper quadword. */
    static final long F = 1L << 63;

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
