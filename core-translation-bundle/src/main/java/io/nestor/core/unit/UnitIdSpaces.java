package io.nestor.core.unit;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * One unit's named id spaces — the kernel's per-IOMMU IDAs for domain ids, VMIDs and ASIDs — held
 * by the core because drivers keep no state: an id a driver version allocated is still taken after
 * a swap.
 *
 * <p>Thread-safe: every method synchronises on the instance (control path only).
 */
final class UnitIdSpaces {
    private final Map<String, BitSet> spaces = new HashMap<>();

    synchronized int allocate(String space, int min, int max) {
        if (space == null || space.isEmpty()) {
            throw IommuException.of(Errno.EINVAL, "id space name is empty");
        }
        if (min < 0 || max < min) {
            throw IommuException.of(Errno.EINVAL, "id range [%d, %d] of space %s is empty or negative", min, max,
                    space);
        }
        BitSet used = spaces.computeIfAbsent(space, k -> new BitSet());
        int id = used.nextClearBit(min);
        if (id < 0 || id > max) {
            throw IommuException.of(Errno.ENOSPC, "every %s id in [%d, %d] is taken", space, min, max);
        }
        used.set(id);
        return id;
    }

    synchronized void free(String space, int id) {
        BitSet used = spaces.get(space);
        if (id < 0 || used == null || !used.get(id)) {
            throw IommuException.of(Errno.EINVAL, "%s id %d is not allocated", space, id);
        }
        used.clear(id);
    }

    synchronized int allocated(String space) {
        BitSet used = spaces.get(space);
        return used == null ? 0 : used.cardinality();
    }
}
