package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterFile;

/**
 * The event and PRI queue PROD / CONS registers, which live in register page 1 and are aliased at
 * the same offsets in page 0 (see {@link Smmuv3Mmio}): every update writes both copies, so software
 * reading either sees the same value. Reads use the page-1 register.
 */
final class Smmuv3QueueIndexes {

    /** Writes the page-1 register at {@code page1Offset} and its page-0 alias. */
    static void write(RegisterFile regs, int page1Offset, int value) {
        regs.write32(page1Offset, value);
        regs.write32(page1Offset - Smmuv3RegisterOffsets.PAGE_1, value);
    }

    private Smmuv3QueueIndexes() {
    }
}
