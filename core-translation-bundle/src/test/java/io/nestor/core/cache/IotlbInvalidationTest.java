package io.nestor.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.InvalidationScope;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every invalidation scope against a population of entries over two units, two domain tags, three
 * address-space tags, all four kinds and three page placements (4 KiB pages inside and outside the
 * ranges, and a 2 MiB page straddling one). After the invalidation no entry the scope covers may
 * still answer (over-invalidation is legal, so only a precision floor is checked: entries of other
 * units and domains stay).
 */
class IotlbInvalidationTest {
    record E(int unit, int dom, int as, IotlbKind kind, long iova, int shift) {
        long out() {
            return 0x40_0000_0000L + ((long) (unit * 1000 + dom * 100 + (as + 1) * 10 + kind.ordinal()) << 22)
                    + (iova & ((1L << 22) - 1) & -(1L << shift));
        }

        boolean overlaps(long first, long last) {
            return CacheTags.overlaps(iova >>> shift, shift, first, last);
        }
    }

    private static final long[][] PAGES = {{0x10000, 12}, {0x13000, 12}, {0x7FF000, 12}, {0x400000, 21}};

    static List<E> population() {
        List<E> all = new ArrayList<>();
        for (int unit = 0; unit < 2; unit++) {
            for (int dom = 1; dom <= 2; dom++) {
                for (int as : new int[] {-1, 3, 4}) {
                    for (IotlbKind kind : IotlbKind.values()) {
                        for (long[] p : PAGES) {
                            all.add(new E(unit, dom, as, kind, p[0], (int) p[1]));
                        }
                    }
                }
            }
        }
        return all;
    }

    private static boolean tags(E e, int unit, int dom, int as) {
        return e.unit == unit && e.dom == dom && (as == InvalidationScope.ANY || e.as == as);
    }

    /** Scope, entries it must remove. */
    static Stream<Arguments> scopes() {
        long first = 0x11000;
        long size = 0x400000 - 0x11000 + 0x1000; // up to and including the first page of the 2 MiB one
        long last = first + size - 1;
        return Stream.of(
                Arguments.of(new InvalidationScope.All(), (Predicate<E>) e -> true),
                Arguments.of(new InvalidationScope.Unit(1), (Predicate<E>) e -> e.unit == 1),
                Arguments.of(new InvalidationScope.Domain(1, 2), (Predicate<E>) e -> tags(e, 1, 2, InvalidationScope.ANY)),
                Arguments.of(new InvalidationScope.AddressSpace(1, 2, 3),
                        (Predicate<E>) e -> tags(e, 1, 2, 3) && e.kind.stage1Derived()),
                Arguments.of(new InvalidationScope.AddressSpace(1, 2, InvalidationScope.ANY),
                        (Predicate<E>) e -> tags(e, 1, 2, InvalidationScope.ANY) && e.kind.stage1Derived()),
                Arguments.of(new InvalidationScope.AddressSpaceRange(1, 2, 3, first, size, false),
                        (Predicate<E>) e -> tags(e, 1, 2, 3) && e.kind.stage1Derived() && e.overlaps(first, last)),
                Arguments.of(new InvalidationScope.AddressSpaceRange(1, 2, 3, 0x10000, 1, true),
                        (Predicate<E>) e -> tags(e, 1, 2, 3) && e.kind.stage1Derived() && e.overlaps(0x10000, 0x10000)),
                Arguments.of(new InvalidationScope.AddressSpaceRange(1, 2, -1, 0x400000 + 0x12345, 8, false),
                        (Predicate<E>) e -> tags(e, 1, 2, -1) && e.kind.stage1Derived()
                                && e.overlaps(0x412345, 0x41234C)),
                Arguments.of(new InvalidationScope.AddressSpaceRange(1, 2, InvalidationScope.ANY, first, size, true),
                        (Predicate<E>) e -> tags(e, 1, 2, InvalidationScope.ANY) && e.kind.stage1Derived()
                                && e.overlaps(first, last)),
                // A range too large to probe page by page: the full-scan path.
                Arguments.of(new InvalidationScope.AddressSpaceRange(1, 2, 4, 0, 1L << 40, false),
                        (Predicate<E>) e -> tags(e, 1, 2, 4) && e.kind.stage1Derived()),
                Arguments.of(new InvalidationScope.Stage2Range(1, 2, first, size, false),
                        (Predicate<E>) e -> tags(e, 1, 2, InvalidationScope.ANY)
                                && (e.kind == IotlbKind.NESTED || e.kind == IotlbKind.STAGE2 && e.overlaps(first, last))),
                Arguments.of(new InvalidationScope.Stage2Range(1, 2, 0x7FF000, 0x1000, true),
                        (Predicate<E>) e -> tags(e, 1, 2, InvalidationScope.ANY)
                                && (e.kind == IotlbKind.NESTED
                                        || e.kind == IotlbKind.STAGE2 && e.overlaps(0x7FF000, 0x7FFFFF))));
    }

    private static Iotlb populated(List<E> entries) {
        Iotlb iotlb = new Iotlb(1 << 16);
        for (E e : entries) {
            assertTrue(iotlb.fill(iotlb.fillToken(), e.unit, e.dom, e.as, e.kind, e.iova,
                    IotlbEntry.pack(e.out(), e.shift, Permission.ALL)));
        }
        for (E e : entries) {
            assertEquals(e.out(), IotlbEntry.pageBase(iotlb.lookup(e.unit, e.dom, e.as, e.kind, e.iova)), e.toString());
        }
        return iotlb;
    }

    @ParameterizedTest
    @MethodSource("scopes")
    void noCoveredEntryAnswersAfterTheInvalidation(InvalidationScope scope, Predicate<E> covered) {
        List<E> entries = population();
        Iotlb iotlb = populated(entries);
        int removed = iotlb.invalidate(scope);
        int mustGo = 0;
        for (E e : entries) {
            // Probe every address of the entry's page that a range could have named.
            long[] probes = {e.iova, e.iova + (1L << e.shift) - 1, e.iova + 0x12345 % (1L << e.shift)};
            for (long iova : probes) {
                long now = iotlb.lookup(e.unit, e.dom, e.as, e.kind, iova);
                if (covered.test(e)) {
                    assertEquals(IotlbEntry.MISS, now, () -> scope + " left " + e);
                } else if (!(scope instanceof InvalidationScope.All) && !(scope instanceof InvalidationScope.Unit)
                        && (e.unit != 1 || e.dom != 2)) {
                    assertNotEquals(IotlbEntry.MISS, now, () -> scope + " removed unrelated " + e);
                }
            }
            if (covered.test(e)) {
                mustGo++;
            }
        }
        assertTrue(mustGo > 0, "the scope covers part of the population");
        assertTrue(removed >= mustGo, "removed " + removed + " < " + mustGo);
    }

    @Test
    void stage2RangeKeepsStage2EntriesOutsideItAndBypassEntries() {
        List<E> entries = population();
        Iotlb iotlb = populated(entries);
        iotlb.invalidate(new InvalidationScope.Stage2Range(0, 1, 0x10000, 0x1000, false));
        assertNotEquals(IotlbEntry.MISS, iotlb.lookup(0, 1, -1, IotlbKind.STAGE2, 0x13000));
        assertNotEquals(IotlbEntry.MISS, iotlb.lookup(0, 1, -1, IotlbKind.BYPASS, 0x10000));
        assertEquals(IotlbEntry.MISS, iotlb.lookup(0, 1, -1, IotlbKind.STAGE2, 0x10000));
        assertEquals(IotlbEntry.MISS, iotlb.lookup(0, 1, 4, IotlbKind.NESTED, 0x7FF000), "nested, far from the IPA range");
    }

    @Test
    void configurationScopesLeaveTheIotlbAlone() {
        List<E> entries = population();
        Iotlb iotlb = populated(entries);
        assertEquals(0, iotlb.invalidate(new InvalidationScope.UnitConfig(0)));
        assertEquals(0, iotlb.invalidate(new InvalidationScope.DeviceConfig(0, 8, InvalidationScope.ANY)));
        assertEquals(0, iotlb.invalidate(new InvalidationScope.DomainConfig(0, 1, InvalidationScope.ANY)));
        assertEquals(entries.size(), iotlb.statistics().entries());
    }
}
