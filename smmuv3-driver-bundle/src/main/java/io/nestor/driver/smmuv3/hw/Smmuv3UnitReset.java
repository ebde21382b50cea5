package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;

/**
 * Power-on reset of an SMMUv3: identification registers from the unit's features, every other
 * register at its reset value (CR0 = 0: SMMUEN clear; GBPA = {@link Smmuv3ControlRegisters#GBPA_RESET}).
 *
 * <p>All identification values are composed before the first register write, so features that have
 * no encoding leave the register file untouched (no partial reset).
 */
public final class Smmuv3UnitReset {

    /**
     * @throws IllegalArgumentException when the features have no IDR encoding (output width,
     *     granules, ASID / VMID width) or the register file is smaller than the two SMMU pages
     */
    public static void reset(UnitContext unit) {
        int[] idr = {
            Smmuv3Idr0.fromFeatures(unit.features()),
            Smmuv3Idr1.fromFeatures(unit.features()),
            0, // IDR2: no VATOS
            Smmuv3Idr3.resetValue(),
            0, // IDR4: implementation defined, nothing to report
            Smmuv3Idr5.fromFeatures(unit.features()),
        };
        RegisterFile regs = unit.registers();
        if (regs.size() < Smmuv3RegisterOffsets.REGISTER_FILE_SIZE) {
            throw new IllegalArgumentException(unit.name() + ": register file of " + regs.size()
                    + " bytes is smaller than the two 64 KiB SMMUv3 register pages");
        }

        for (int offset = 0; offset + 8 <= regs.size(); offset += 8) {
            regs.write64(offset, 0L);
        }
        for (int n = 0; n < idr.length; n++) {
            regs.write32(Smmuv3RegisterOffsets.idr(n), idr[n]);
        }
        regs.write32(Smmuv3RegisterOffsets.IIDR, Smmuv3ImplementationRegisters.IIDR_RESET);
        regs.write32(Smmuv3RegisterOffsets.AIDR, Smmuv3ImplementationRegisters.AIDR_RESET);
        regs.write32(Smmuv3RegisterOffsets.CR0, Smmuv3ControlRegisters.CR0_RESET);
        regs.write32(Smmuv3RegisterOffsets.CR0ACK, Smmuv3ControlRegisters.CR0_RESET);
        regs.write32(Smmuv3RegisterOffsets.GBPA, Smmuv3ControlRegisters.GBPA_RESET);
    }

    private Smmuv3UnitReset() {
    }
}
