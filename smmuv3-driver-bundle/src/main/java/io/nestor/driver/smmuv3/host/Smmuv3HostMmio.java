package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.UnitContext;
import io.nestor.driver.smmuv3.hw.Smmuv3Mmio;

/**
 * The host driver's MMIO writes: the one place where a register write that has a hardware side
 * effect (CR0 acknowledged in CR0ACK, GBPA.UPDATE cleared, CMDQ_PROD making the SMMU consume
 * commands) leaves the host half. Reads go straight to the register file.
 *
 * <p>Writes go through the hardware half's MMIO write path ({@link Smmuv3Mmio}), as a CPU's stores
 * reach the SMMU; the host half never stores into the register file directly.
 */
final class Smmuv3HostMmio {

    static void write32(UnitContext unit, int offset, int value) {
        Smmuv3Mmio.write32(unit, offset, value);
    }

    static void write64(UnitContext unit, int offset, long value) {
        Smmuv3Mmio.write64(unit, offset, value);
    }

    static int read32(UnitContext unit, int offset) {
        return unit.registers().read32(offset);
    }

    static long read64(UnitContext unit, int offset) {
        return unit.registers().read64(offset);
    }

    private Smmuv3HostMmio() {
    }
}
