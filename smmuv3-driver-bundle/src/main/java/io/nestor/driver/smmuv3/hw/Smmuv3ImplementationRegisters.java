package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;

/**
 * SMMU_IIDR (0x18) and SMMU_AIDR (0x1C), 32 bits, read-only: who built the SMMU and which
 * architecture revision it implements.
 *
 * <p>AIDR: ArchMajorRev in bits 7:4 (0 = SMMUv3), ArchMinorRev in bits 3:0. This unit reports
 * SMMUv3.2, the revision that introduced range invalidation (IDR3.RIL), which it offers. QEMU
 * reports 0x1 (v3.1).
 *
 * <p>IIDR is zero: this is no product of a JEP106-registered implementer, and a real implementer
 * code would make Linux apply that product's errata workarounds (it matches IIDR for MMU-700 etc.).
 */
public final class Smmuv3ImplementationRegisters {

    public static final RegisterField IIDR_IMPLEMENTER = RegisterField.bits("Implementer", 11, 0);
    public static final RegisterField IIDR_REVISION = RegisterField.bits("Revision", 15, 12);
    public static final RegisterField IIDR_VARIANT = RegisterField.bits("Variant", 19, 16);
    public static final RegisterField IIDR_PRODUCT_ID = RegisterField.bits("ProductID", 31, 20);

    public static final RegisterField AIDR_MINOR = RegisterField.bits("ArchMinorRev", 3, 0);
    public static final RegisterField AIDR_MAJOR = RegisterField.bits("ArchMajorRev", 7, 4);

    public static final int IIDR_RESET = 0;
    public static final int AIDR_RESET = (int) AIDR_MINOR.insert(AIDR_MAJOR.insert(0, 0), 2);

    private Smmuv3ImplementationRegisters() {
    }
}
