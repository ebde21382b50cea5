package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;

/**
 * SMMU_CR0 (0x20) and SMMU_GBPA (0x44): whether the SMMU translates, and what it does with
 * transactions while it does not. Bits per hw-formats.md 2.1 and Linux {@code CR0_*} /
 * {@code GBPA_*}.
 *
 * <p>Reset: CR0 = 0 (SMMUEN clear, queues disabled). GBPA resets to 0x1000, QEMU's
 * {@code SMMU_GBPA_RESET_VAL}: SHCFG = 01 (use incoming shareability), ABORT clear, so an SMMU that
 * software never enabled lets DMA through untranslated until the driver sets GBPA.ABORT (Linux does
 * so when {@code disable_bypass} is set).
 */
public final class Smmuv3ControlRegisters {

    public static final RegisterField CR0_SMMUEN = RegisterField.bit("SMMUEN", 0);
    public static final RegisterField CR0_PRIQEN = RegisterField.bit("PRIQEN", 1);
    public static final RegisterField CR0_EVTQEN = RegisterField.bit("EVTQEN", 2);
    public static final RegisterField CR0_CMDQEN = RegisterField.bit("CMDQEN", 3);
    public static final RegisterField CR0_ATSCHK = RegisterField.bit("ATSCHK", 4);

    public static final RegisterField GBPA_SHCFG = RegisterField.bits("SHCFG", 13, 12);
    public static final RegisterField GBPA_ABORT = RegisterField.bit("ABORT", 20);
    public static final RegisterField GBPA_UPDATE = RegisterField.bit("UPDATE", 31);

    public static final int CR0_RESET = 0;
    /** SHCFG = 01, use incoming. */
    public static final int GBPA_RESET = (int) GBPA_SHCFG.insert(0, 1);

    public static boolean smmuEnabled(int cr0) {
        return CR0_SMMUEN.isSet(Integer.toUnsignedLong(cr0));
    }

    public static boolean bypassAborts(int gbpa) {
        return GBPA_ABORT.isSet(Integer.toUnsignedLong(gbpa));
    }

    private Smmuv3ControlRegisters() {
    }
}
