package io.nestor.driver.vtd.host;

import io.nestor.api.driver.UnitContext;
import io.nestor.driver.vtd.hw.VtdMmio;

/**
 * The host driver's register writes. They go through the hardware half's {@link VtdMmio}, which
 * gives a write its architectural side effects (GCMD updating GSTS, a new IQT processing the
 * invalidation queue), the way a CPU store reaches the silicon; reads need no side effects and use
 * the register file directly.
 */
final class VtdRegisterWrites {

    static void write32(UnitContext unit, int offset, int value) {
        VtdMmio.write32(unit, offset, value);
    }

    static void write64(UnitContext unit, int offset, long value) {
        VtdMmio.write64(unit, offset, value);
    }

    private VtdRegisterWrites() {
    }
}
