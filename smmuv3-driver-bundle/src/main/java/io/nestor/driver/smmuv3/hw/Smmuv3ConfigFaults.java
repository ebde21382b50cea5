package io.nestor.driver.smmuv3.hw;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;

/**
 * How configuration decode turns what it finds into SMMUv3 events: a configuration fault carrying
 * the event number ({@link Smmuv3EventType}), and memory reads where a bus error ({@code EFAULT}
 * from {@link PhysicalMemory}) becomes the matching fetch-abort event (F_STE_FETCH / F_CD_FETCH)
 * rather than an error for the caller; such a fetch fault carries the unreadable address as its
 * {@link Fault#faultAddress()} (the event's FetchAddr).
 */
final class Smmuv3ConfigFaults {

    static FaultException event(int eventType) {
        return new FaultException(Fault.config(eventType, 0, 0));
    }

    /** Reads a 64-bit word of a configuration structure; a bus error becomes {@code fetchEvent}. */
    static long read64(PhysicalMemory memory, long address, int fetchEvent) throws FaultException {
        try {
            return memory.read64(address);
        } catch (IommuException e) {
            if (e.errno() == Errno.EFAULT) {
                // The event's FetchAddr is the physical address that could not be read.
                throw new FaultException(new Fault(FaultStage.CONFIG, FaultReason.CONFIGURATION, -1, 0, 0, address,
                        false, fetchEvent));
            }
            throw e;
        }
    }

    private Smmuv3ConfigFaults() {
    }
}
