package io.nestor.core.iommufd;

import java.util.ArrayList;
import java.util.List;

/**
 * The gaps a set of (possibly overlapping) inclusive ranges leaves inside {@code [from, to]}: the
 * kernel's span iterators ({@code interval_tree_for_each_span}, {@code
 * interval_tree_for_each_double_span}) reduced to their holes.
 */
final class Holes {
    private Holes() {
    }

    /**
     * @param used ranges sorted by unsigned start; they may overlap and extend past the window
     * @return the maximal uncovered ranges inside {@code [from, to]}, ascending
     */
    static List<IovaRange> of(List<IovaRange> used, long from, long to) {
        List<IovaRange> holes = new ArrayList<>();
        long cursor = from;
        boolean exhausted = false; // the cursor ran past ULONG_MAX
        for (IovaRange r : used) {
            if (Iova.lt(r.last(), cursor)) {
                continue;
            }
            if (Iova.lt(to, r.start())) {
                break;
            }
            if (Iova.lt(cursor, r.start())) {
                holes.add(new IovaRange(cursor, r.start() - 1));
            }
            if (r.last() == Iova.ULONG_MAX || !Iova.lt(r.last(), to)) {
                exhausted = true;
                break;
            }
            cursor = Iova.max(cursor, r.last() + 1);
        }
        if (!exhausted && Iova.le(cursor, to)) {
            holes.add(new IovaRange(cursor, to));
        }
        return holes;
    }
}
