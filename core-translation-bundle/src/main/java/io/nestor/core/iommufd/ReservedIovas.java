package io.nestor.core.iommufd;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * IOVA ranges no mapping may use ({@code iopt->reserved_itree}), each tagged with its owner: a
 * paging domain (the space outside its aperture), a device (its reserved regions, added at attach),
 * or {@code null} (a test's ADD_RESERVED). Ranges of different owners may overlap.
 *
 * <p>Kept sorted by start; a handful of entries per IOAS, so a list is enough. Not thread-safe:
 * guarded by the owning {@link IoPageTable}.
 */
final class ReservedIovas {
    private record Entry(IovaRange range, Object owner) {
    }

    private final List<Entry> entries = new ArrayList<>();

    void add(long start, long last, Object owner) {
        entries.add(new Entry(new IovaRange(start, last), owner));
        entries.sort(Comparator.comparing((Entry e) -> e.range().start(), Long::compareUnsigned));
    }

    /** Removes every range of {@code owner} (identity). */
    void removeOwner(Object owner) {
        entries.removeIf(e -> e.owner() == owner);
    }

    /** Whether any reserved range meets {@code [start, last]}. */
    boolean intersects(long start, long last) {
        for (Entry e : entries) {
            if (e.range().intersects(start, last)) {
                return true;
            }
        }
        return false;
    }

    /** The reserved ranges, by start (overlapping ones included). */
    List<IovaRange> ranges() {
        List<IovaRange> out = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            out.add(e.range());
        }
        return out;
    }

    /**
     * The holes between reserved ranges inside {@code [from, to]}: what IOVA_RANGES reports
     * ({@code interval_tree_for_each_span}, holes only).
     */
    List<IovaRange> holes(long from, long to) {
        return Holes.of(ranges(), from, to);
    }
}
