package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;

/**
 * Power-on reset of a VT-d remapping unit: what the silicon's register file holds before any
 * software touched it.
 *
 * <p>All features are checked and CAP / ECAP composed before the first register write, so a unit
 * whose features cannot be encoded is left untouched (no partial reset). After reset: VER, CAP and
 * ECAP hold the identification values; GCMD, GSTS, RTADDR, the queues, the fault-recording
 * registers and the internal latches ({@link VtdRegisterOffsets#INTERNAL_LATCHES}) are zero (translation disabled); the three event-control registers have their interrupt
 * mask (IM, bit 31) set, as the specification requires for FECTL / IECTL / PECTL at reset.
 */
public final class VtdUnitReset {

    /** FECTL / IECTL / PECTL interrupt mask, bit 31 (Linux {@code DMA_FECTL_IM}). */
    public static final int EVENT_CONTROL_IM = 1 << 31;

    /**
     * Resets the unit's registers from its features.
     *
     * @throws IllegalArgumentException when the features have no CAP / ECAP encoding, or the
     *     register file is too small for the registers this implementation places
     */
    public static void reset(UnitContext unit) {
        long cap = VtdCapabilityRegister.fromFeatures(unit.features());
        long ecap = VtdExtendedCapabilityRegister.fromFeatures(unit.features());
        RegisterFile regs = unit.registers();
        int needed = Math.max(
                VtdCapabilityRegister.faultRecordOffset(cap)
                        + VtdCapabilityRegister.faultRecordCount(cap) * VtdRegisterOffsets.FAULT_RECORD_SIZE,
                Math.max(VtdExtendedCapabilityRegister.iotlbOffset(ecap) + 16,
                        VtdRegisterOffsets.INTERNAL_LATCHES_END));
        if (regs.size() < needed) {
            throw new IllegalArgumentException(unit.name() + ": register file of " + regs.size()
                    + " bytes is smaller than the " + needed + " bytes a VT-d unit needs");
        }

        for (int offset = 0; offset + 8 <= regs.size(); offset += 8) {
            regs.write64(offset, 0L);
        }
        regs.write32(VtdRegisterOffsets.VER, VtdVersionRegister.resetValue());
        regs.write64(VtdRegisterOffsets.CAP, cap);
        regs.write64(VtdRegisterOffsets.ECAP, ecap);
        regs.write32(VtdRegisterOffsets.FECTL, EVENT_CONTROL_IM);
        regs.write32(VtdRegisterOffsets.IECTL, EVENT_CONTROL_IM);
        regs.write32(VtdRegisterOffsets.PECTL, EVENT_CONTROL_IM);
    }

    private VtdUnitReset() {
    }
}
