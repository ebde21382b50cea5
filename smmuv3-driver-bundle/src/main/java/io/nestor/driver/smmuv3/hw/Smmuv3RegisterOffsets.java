package io.nestor.driver.smmuv3.hw;

/**
 * MMIO offsets of the SMMUv3 page-0 registers (Arm SMMUv3 architecture chapter 6, mirrored by
 * {@code ARM_SMMU_*} in Linux {@code drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h}; hw-formats.md 2.1).
 *
 * <p>Invariant: the register space is two 64 KiB pages; page 1 (at {@link #PAGE_1}) holds the event
 * and PRI queue producer / consumer indexes.
 */
public final class Smmuv3RegisterOffsets {

    /** Two 64 KiB pages: page 0 and page 1. */
    public static final int REGISTER_FILE_SIZE = 2 * 0x10000;
    public static final int PAGE_1 = 0x10000;

    public static final int IDR0 = 0x00;
    public static final int IDR1 = 0x04;
    public static final int IDR2 = 0x08;
    public static final int IDR3 = 0x0C;
    public static final int IDR4 = 0x10;
    public static final int IDR5 = 0x14;
    public static final int IIDR = 0x18;
    public static final int AIDR = 0x1C;
    public static final int CR0 = 0x20;
    public static final int CR0ACK = 0x24;
    public static final int CR1 = 0x28;
    public static final int CR2 = 0x2C;
    public static final int STATUSR = 0x40;
    public static final int GBPA = 0x44;
    public static final int IRQ_CTRL = 0x50;
    public static final int IRQ_CTRLACK = 0x54;
    public static final int GERROR = 0x60;
    public static final int GERRORN = 0x64;
    public static final int GERROR_IRQ_CFG0 = 0x68;
    public static final int GERROR_IRQ_CFG1 = 0x70;
    public static final int GERROR_IRQ_CFG2 = 0x74;
    public static final int STRTAB_BASE = 0x80;
    public static final int STRTAB_BASE_CFG = 0x88;
    public static final int CMDQ_BASE = 0x90;
    public static final int CMDQ_PROD = 0x98;
    public static final int CMDQ_CONS = 0x9C;
    public static final int EVTQ_BASE = 0xA0;
    public static final int EVTQ_IRQ_CFG0 = 0xB0;
    public static final int EVTQ_IRQ_CFG1 = 0xB8;
    public static final int EVTQ_IRQ_CFG2 = 0xBC;
    public static final int PRIQ_BASE = 0xC0;
    public static final int PRIQ_IRQ_CFG0 = 0xD0;
    public static final int PRIQ_IRQ_CFG1 = 0xD8;
    public static final int PRIQ_IRQ_CFG2 = 0xDC;
    /** Page 1 copies of the queue indexes that software polls (Linux {@code arm_smmu_page1}). */
    public static final int EVTQ_PROD = PAGE_1 + 0xA8;
    public static final int EVTQ_CONS = PAGE_1 + 0xAC;
    public static final int PRIQ_PROD = PAGE_1 + 0xC8;
    public static final int PRIQ_CONS = PAGE_1 + 0xCC;

    /** The offset of IDR{@code n}, n = 0..5. */
    public static int idr(int n) {
        if (n < 0 || n > 5) {
            throw new IllegalArgumentException("no IDR" + n);
        }
        return IDR0 + 4 * n;
    }

    private Smmuv3RegisterOffsets() {
    }
}
