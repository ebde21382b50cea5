package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.UnitContext;
import io.nestor.driver.smmuv3.hw.Smmuv3Idr0;
import io.nestor.driver.smmuv3.hw.Smmuv3Idr1;
import io.nestor.driver.smmuv3.hw.Smmuv3RegisterOffsets;

/**
 * What the host driver learns from the identification registers, as Linux
 * {@code arm_smmu_device_hw_probe} does (read on every call: the driver keeps no copy).
 */
final class Smmuv3UnitCapabilities {

    static int idr0(UnitContext unit) {
        return Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.IDR0);
    }

    static int idr1(UnitContext unit) {
        return Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.IDR1);
    }

    static boolean stage2(UnitContext unit) {
        return Smmuv3Idr0.get(Smmuv3Idr0.S2P, idr0(unit)) != 0;
    }

    /** {@code ARM_SMMU_FEAT_NESTING}: both stages. */
    static boolean nesting(UnitContext unit) {
        int idr0 = idr0(unit);
        return Smmuv3Idr0.get(Smmuv3Idr0.S1P, idr0) != 0 && Smmuv3Idr0.get(Smmuv3Idr0.S2P, idr0) != 0;
    }

    /** VMIDs are 16 bits with IDR0.VMID16, else 8; VMID 0 is kept for stage-2 bypass STEs (Linux). */
    static int maxVmid(UnitContext unit) {
        return Smmuv3Idr0.vmidMask(idr0(unit));
    }

    static boolean ats(UnitContext unit) {
        return Smmuv3Idr0.get(Smmuv3Idr0.ATS, idr0(unit)) != 0;
    }

    static boolean pri(UnitContext unit) {
        return Smmuv3Idr0.get(Smmuv3Idr0.PRI, idr0(unit)) != 0;
    }

    static boolean stall(UnitContext unit) {
        return Smmuv3Idr0.get(Smmuv3Idr0.STALL_MODEL, idr0(unit)) != Smmuv3Idr0.STALL_MODEL_TERMINATE_ONLY;
    }

    static boolean twoLevelCdTables(UnitContext unit) {
        return Smmuv3Idr0.get(Smmuv3Idr0.CD2L, idr0(unit)) != 0;
    }

    static int ssidBits(UnitContext unit) {
        return Smmuv3Idr1.get(Smmuv3Idr1.SSIDSIZE, idr1(unit));
    }

    private Smmuv3UnitCapabilities() {
    }
}
