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

    /** SMMU_CR1: table and queue cacheability / shareability, bits 11:0 (Linux {@code CR1_*}). */
    public static final int CR1_MASK = 0xFFF;
    /** SMMU_CR2: PTM (2) and RECINVSID (1); E2H (0) is RES0 without IDR0.HYP. */
    public static final int CR2_MASK = 0b110;
    /** GBPA fields software sets: MemAttr 3:0, MTCFG 4, ALLOCCFG 11:8, SHCFG 13:12, PRIVCFG 17:16, INSTCFG 19:18, ABORT 20. */
    public static final int GBPA_MASK = 0x1F_3F1F;

    /** SMMU_IRQ_CTRL (0x50), acknowledged in IRQ_CTRLACK (0x54): Linux {@code IRQ_CTRL_*}. */
    public static final int IRQ_CTRL_GERROR_IRQEN = 1 << 0;
    public static final int IRQ_CTRL_PRIQ_IRQEN = 1 << 1;
    public static final int IRQ_CTRL_EVTQ_IRQEN = 1 << 2;
    public static final int IRQ_CTRL_MASK = 0b111;

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
