package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultStage;

/**
 * Records a non-recoverable fault as the SMMU does: an event record ({@link Smmuv3FaultEvents}) in
 * the event queue ({@link Smmuv3OutputQueue#EVENT}).
 *
 * <p>Suppression (hw-formats.md §2.6, §3.3): translation faults (F_TRANSLATION .. F_PERMISSION) are
 * recorded only when the faulting stage asks for it — CD.R for stage 1, STE.S2R for stage 2, read
 * again from the structures in memory since the driver keeps nothing (QEMU checks the R bit of the
 * stage that faulted the same way). Configuration faults and external aborts are always recorded.
 * When the structures can no longer be read (they changed since the fault) the fault is recorded:
 * losing an event is worse than an extra one.
 *
 * @return the record as written, or an empty array when it was suppressed or lost (queue disabled,
 *     full, or unwritable; see {@link Smmuv3OutputQueue})
 */
public final class Smmuv3FaultRecorder {

    private static final byte[] NONE = new byte[0];

    public static byte[] record(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        if (Smmuv3EventType.isTranslationFault(Smmuv3FaultEvents.eventType(fault)) && suppressed(unit, device, pasid, fault)) {
            return NONE;
        }
        long[] dwords = Smmuv3FaultEvents.encode(device, pasid, fault);
        return Smmuv3OutputQueue.EVENT.append(unit, dwords) ? Smmuv3Queue.entryBytes(dwords) : NONE;
    }

    private static boolean suppressed(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        try {
            Smmuv3Ste ste = Smmuv3ConfigDecoder.steOf(unit, device.sourceId());
            if (ste == null || !ste.valid()) {
                return false;
            }
            if (fault.stage() == FaultStage.STAGE2) {
                return !ste.s2R();
            }
            Smmuv3Cd cd = Smmuv3ConfigDecoder.cdOf(unit, ste, pasid);
            return cd != null && !cd.r();
        } catch (FaultException e) {
            return false;
        }
    }

    private Smmuv3FaultRecorder() {
    }
}
