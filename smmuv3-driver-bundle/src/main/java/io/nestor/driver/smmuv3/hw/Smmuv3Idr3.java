package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;

/**
 * SMMU_IDR3 (0x0C, 32 bits, read-only): SMMUv3.1+ features. This implementation offers range-based
 * TLB invalidation (RIL, bit 10; Linux {@code IDR3_RIL}), as QEMU does, and nothing else here.
 */
public final class Smmuv3Idr3 {

    public static final RegisterField HAD = RegisterField.bit("HAD", 2);
    public static final RegisterField PBHA = RegisterField.bit("PBHA", 3);
    public static final RegisterField XNX = RegisterField.bit("XNX", 4);
    public static final RegisterField PPS = RegisterField.bit("PPS", 5);
    public static final RegisterField MPAM = RegisterField.bit("MPAM", 7);
    public static final RegisterField FWB = RegisterField.bit("FWB", 8);
    public static final RegisterField STT = RegisterField.bit("STT", 9);
    public static final RegisterField RIL = RegisterField.bit("RIL", 10);
    public static final RegisterField BBML = RegisterField.bits("BBML", 12, 11);

    public static int resetValue() {
        return (int) RIL.insert(0, true);
    }

    private Smmuv3Idr3() {
    }
}
