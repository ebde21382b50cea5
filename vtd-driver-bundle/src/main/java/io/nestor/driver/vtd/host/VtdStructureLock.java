package io.nestor.driver.vtd.host;

import io.nestor.api.driver.UnitContext;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;

/**
 * Serialises the host driver's read-modify-write sequences on a unit's structures (finding or
 * creating a context table, a PASID table, checking an entry is free and writing it), which Linux
 * does under {@code iommu->lock}. The driver has no lock of its own to keep, so it uses the unit's
 * register lock: it is reentrant, so queue submissions inside a sequence take it again without harm,
 * and the translation hot path never takes it.
 */
final class VtdStructureLock {

    static <T> T with(UnitContext unit, Supplier<T> sequence) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            return sequence.get();
        } finally {
            lock.unlock();
        }
    }

    static void run(UnitContext unit, Runnable sequence) {
        with(unit, () -> {
            sequence.run();
            return null;
        });
    }

    private VtdStructureLock() {
    }
}
