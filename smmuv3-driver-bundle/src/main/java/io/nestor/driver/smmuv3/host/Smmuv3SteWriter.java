package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.UnitContext;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import io.nestor.driver.smmuv3.hw.Smmuv3Ste;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * Installs an STE so that the SMMU never uses a torn one, after Linux {@code arm_smmu_write_entry}
 * reduced to its two cases, each 64-bit word written with one single-copy-atomic store and every
 * step made visible with CMD_CFGI_STE (Leaf = 1, as {@code arm_smmu_sync_ste_for_sid}) and CMD_SYNC:
 * <ul>
 * <li>the current STE is not valid, or only word 0 changes: write words 1..7, then word 0, sync;</li>
 * <li>otherwise break before make: word 0 with V = 0, sync; words 1..7, sync; word 0, sync. A
 *     transaction in between sees an invalid STE (C_BAD_STE), as on Linux for updates it cannot do
 *     hitlessly.</li>
 * </ul>
 * Writing the STE already installed issues nothing. Everything runs under the unit's register
 * lock, which also serialises the allocation of L2 stream tables.
 */
final class Smmuv3SteWriter {

    static void install(UnitContext unit, int sid, long[] target) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            PhysicalMemory memory = unit.memory();
            long address = Smmuv3StreamTableSlots.steAddress(unit, sid);
            long[] current = new long[8];
            boolean othersDiffer = false;
            for (int i = 0; i < 8; i++) {
                current[i] = memory.read64(address + 8L * i);
                othersDiffer |= i > 0 && current[i] != target[i];
            }
            if (!othersDiffer && current[0] == target[0]) {
                return;
            }
            List<Smmuv3Command> sync = List.of(Smmuv3CommandBuilder.cfgiSte(sid, true));
            boolean currentValid = Smmuv3Ste.V.isSet(current[0]);
            if (currentValid && othersDiffer) {
                memory.write64(address, Smmuv3Ste.V.insert(current[0], false));
                Smmuv3CommandSubmission.issueWithSync(unit, sync);
                writeWords1To7(memory, address, target);
                Smmuv3CommandSubmission.issueWithSync(unit, sync);
            } else {
                writeWords1To7(memory, address, target);
            }
            memory.write64(address, target[0]);
            Smmuv3CommandSubmission.issueWithSync(unit, sync);
        } finally {
            lock.unlock();
        }
    }

    /** The STE currently installed for {@code sid} (allocating its L2 table if there was none). */
    static long[] read(UnitContext unit, int sid) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            long address = Smmuv3StreamTableSlots.steAddress(unit, sid);
            long[] ste = new long[8];
            for (int i = 0; i < 8; i++) {
                ste[i] = unit.memory().read64(address + 8L * i);
            }
            return ste;
        } finally {
            lock.unlock();
        }
    }

    private static void writeWords1To7(PhysicalMemory memory, long address, long[] target) {
        for (int i = 1; i < 8; i++) {
            memory.write64(address + 8L * i, target[i]);
        }
    }

    private Smmuv3SteWriter() {
    }
}
