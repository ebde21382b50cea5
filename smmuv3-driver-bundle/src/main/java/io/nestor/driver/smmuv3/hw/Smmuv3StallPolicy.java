package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultStage;

/**
 * Whether a faulting transaction stalls (IHI 0070 §3.12.2): only translation-related faults
 * (F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION) stall, only on an SMMU whose stall model
 * allows it (IDR0.STALL_MODEL not "terminate only"), and only where the faulting stage is set to
 * stall — STE.S2S for stage 2, CD.S for stage 1 (which the decoder already refuses when
 * STE.S1STALLD forbids it). Read from the structures in memory, like the fault recorder does.
 */
public final class Smmuv3StallPolicy {

    public static boolean stalls(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        int idr0 = unit.registers().read32(Smmuv3RegisterOffsets.IDR0);
        if (Smmuv3Idr0.get(Smmuv3Idr0.STALL_MODEL, idr0) == Smmuv3Idr0.STALL_MODEL_TERMINATE_ONLY
                || !Smmuv3EventType.isTranslationFault(Smmuv3FaultEvents.eventType(fault))) {
            return false;
        }
        try {
            Smmuv3Ste ste = Smmuv3ConfigDecoder.steOf(unit, device.sourceId());
            if (ste == null || !ste.valid()) {
                return false;
            }
            if (fault.stage() == FaultStage.STAGE2) {
                return ste.s2S();
            }
            Smmuv3Cd cd = Smmuv3ConfigDecoder.cdOf(unit, ste, pasid);
            return cd != null && cd.s() && !ste.s1Stalld();
        } catch (FaultException e) {
            return false;
        }
    }

    private Smmuv3StallPolicy() {
    }
}
