package io.nestor.core.iommufd;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The areas of one IOAS by IOVA ({@code iopt->area_itree}); areas never overlap, so a map ordered
 * by (unsigned) start answers "which areas meet [start, last]" with one floor lookup and a walk.
 *
 * <p>Not thread-safe: guarded by the owning {@link IoPageTable}.
 */
final class IoasAreaTree {
    private final TreeMap<Long, IoasArea> byStart = new TreeMap<>(Long::compareUnsigned);

    void insert(IoasArea area) {
        if (first(area.iova(), area.last()) != null) {
            throw new IllegalStateException(area + " overlaps " + first(area.iova(), area.last()));
        }
        byStart.put(area.iova(), area);
    }

    void remove(IoasArea area) {
        if (byStart.get(area.iova()) != area) {
            throw new IllegalStateException(area + " is not in the tree");
        }
        byStart.remove(area.iova());
    }

    /** The lowest area meeting {@code [start, last]}, or null ({@code iopt_area_iter_first}). */
    IoasArea first(long start, long last) {
        Map.Entry<Long, IoasArea> below = byStart.floorEntry(start);
        if (below != null && Iova.le(start, below.getValue().last())) {
            return below.getValue();
        }
        Map.Entry<Long, IoasArea> above = byStart.ceilingEntry(start);
        if (above != null && Iova.le(above.getKey(), last)) {
            return above.getValue();
        }
        return null;
    }

    /** Every area meeting {@code [start, last]}, in IOVA order. */
    List<IoasArea> meeting(long start, long last) {
        List<IoasArea> out = new ArrayList<>();
        IoasArea a = first(start, last);
        if (a == null) {
            return out;
        }
        for (IoasArea b : byStart.tailMap(a.iova(), true).values()) {
            if (Iova.lt(last, b.iova())) {
                break;
            }
            out.add(b);
        }
        return out;
    }

    /** The area containing {@code iova}, or null. */
    IoasArea containing(long iova) {
        return first(iova, iova);
    }

    /** The area starting right at {@code iova}, or null. */
    IoasArea startingAt(long iova) {
        return byStart.get(iova);
    }

    Collection<IoasArea> all() {
        return byStart.values();
    }

    boolean isEmpty() {
        return byStart.isEmpty();
    }

    int size() {
        return byStart.size();
    }
}
