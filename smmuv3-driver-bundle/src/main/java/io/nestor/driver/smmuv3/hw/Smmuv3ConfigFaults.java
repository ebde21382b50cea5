package io.nestor.driver.smmuv3.hw;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;

/**
 * How configuration decode turns what it finds into SMMUv3 events: a configuration fault carrying
 * the event number ({@link Smmuv3EventType}), and memory reads where a bus error ({@code EFAULT}
 * from {@link PhysicalMemory}) becomes the matching fetch-abort event (F_STE_FETCH / F_CD_FETCH)
 * rather than an error for the caller.
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
                throw event(fetchEvent);
            }
            throw e;
        }
    }

    private Smmuv3ConfigFaults() {
    }
}
