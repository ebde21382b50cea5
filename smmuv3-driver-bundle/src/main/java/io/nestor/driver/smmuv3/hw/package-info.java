/**
 * The SMMUv3 hardware half: what the silicon does, over state that lives entirely in the unit's
 * register file and memory ({@link io.nestor.api.driver.UnitContext}).
 *
 * <ul>
 * <li>Identification and reset: {@code Smmuv3Idr0} .. {@code Smmuv3Idr5}, {@link Smmuv3UnitReset}.</li>
 * <li>Register writes: {@link Smmuv3Mmio}, the only way software changes a register; it consumes the
 *     command queue ({@link Smmuv3CommandQueue}, commands in {@link Smmuv3Command}).</li>
 * <li>Configuration decode: {@link Smmuv3ConfigDecoder} over the stream table, STEs, CD tables and
 *     CDs, nested CD fetches through stage 2.</li>
 * <li>Reporting: {@link Smmuv3FaultRecorder} (event records) and {@link Smmuv3PageRequestRecorder}
 *     (stall events, PRI queue entries).</li>
 * </ul>
 * Lock: every queue access (command consumption, event and PRI recording) and every register write
 * holds the unit's register lock; configuration decode and structure fetches through stage 2 do not.
 */
package io.nestor.driver.smmuv3.hw;
