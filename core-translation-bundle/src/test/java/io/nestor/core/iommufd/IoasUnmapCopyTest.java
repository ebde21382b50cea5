package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.IommufdFixture.RW;
import static io.nestor.core.iommufd.IommufdFixture.RW_FIXED;
import static io.nestor.core.iommufd.IommufdFixture.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.core.session.MemoryRegion;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** IOMMU_IOAS_UNMAP and IOMMU_IOAS_COPY. */
class IoasUnmapCopyTest {
    private static final long VA = 0x10_0000_0000L;
    private static final long PA = 0x1_0000_0000L;
    private static final long P = 0x1000;

    private final IommufdFixture fx = new IommufdFixture();
    private MemoryRegion ram;
    private int a;
    private int b;
    private PageTablePagingDomain da;
    private PageTablePagingDomain db;

    @BeforeEach
    void setUp() {
        ram = fx.region(VA, 1L << 24, PA, true);
        a = fx.ioas();
        b = fx.ioas();
        da = fx.domainOf(fx.hwpt(a));
        db = fx.domainOf(fx.hwpt(b));
        // four areas of 8 pages back to back at 0x100000, then a gap, then one at 0x200000
        for (int i = 0; i < 4; i++) {
            fx.map(a, RW_FIXED, VA + i * 8 * P, 8 * P, 0x100000 + i * 8 * P);
        }
        fx.map(a, RW_FIXED, VA + 0x80000, 8 * P, 0x200000);
    }

    private long unmap(int ioas, long iova, long length) {
        return fx.context.ioas().unmap(ioas, iova, length);
    }

    @Test
    void unmapErrnoRules() {
        fx.assertFailsUnchanged(Errno.ENOENT, () -> unmap(999, 0x100000, P), ids(a), da);
        fx.assertFailsUnchanged(Errno.EOVERFLOW, () -> unmap(a, -1L, P), ids(a), da);
        fx.assertFailsUnchanged(Errno.EOVERFLOW, () -> unmap(a, 0x100000, -1L), ids(a), da);
        fx.assertFailsUnchanged(Errno.EINVAL, () -> unmap(a, 0x100000, 0), ids(a), da);
        fx.assertFailsUnchanged(Errno.EOVERFLOW, () -> unmap(a, -0x1000L, 0x2000), ids(a), da);
        // nothing mapped in the range
        fx.assertFailsUnchanged(Errno.ENOENT, () -> unmap(a, 0x300000, 0x10000), ids(a), da);
        // cuts the first area it meets
        fx.assertFailsUnchanged(Errno.ENOENT, () -> unmap(a, 0x101000, 0x20000), ids(a), da);
        // covers three areas whole but cuts the fourth: nothing is removed (all or nothing)
        fx.assertFailsUnchanged(Errno.ENOENT, () -> unmap(a, 0x100000, 0x1c000), ids(a), da);
    }

    @Test
    void unmapOfFullyContainedAreasReportsTheirBytes() {
        long pinsBefore = fx.regions.pinCount(ram.id());
        assertEquals(32 * P, unmap(a, 0xff000, 0x30000));
        assertEquals(List.of(new IovaRange(0x200000, 0x207fff)), fx.table(a).areaRanges());
        assertEquals(-1, fx.translate(da, 0x100000));
        assertEquals(-1, fx.translate(da, 0x11f000));
        assertEquals(PA + 0x80000, fx.translate(da, 0x200000));
        assertEquals(pinsBefore - 4, fx.regions.pinCount(ram.id()));
    }

    @Test
    void unmapAllEmptiesAndSucceedsOnAnEmptyIoas() {
        long live = fx.allocator.livePages();
        assertEquals(40 * P, unmap(a, 0, -1L));
        assertTrue(fx.table(a).areaRanges().isEmpty());
        assertTrue(fx.leaves(da).isEmpty());
        assertTrue(fx.allocator.livePages() < live, "emptied tables were freed");
        assertEquals(0, unmap(a, 0, -1L));
        assertEquals(0, fx.regions.pinCount(ram.id()));
    }

    private long copy(int flags, int dst, int src, long length, long dstIova, long srcIova) {
        return fx.context.ioas().copy(new IoasCopyCommand(flags, dst, src, length, dstIova, srcIova));
    }

    @Test
    void copyErrnoRules() {
        int[] both = ids(a, b);
        fx.assertFailsUnchanged(Errno.EOPNOTSUPP, () -> copy(RW | 16, b, a, P, 0, 0x100000), both, da, db);
        fx.assertFailsUnchanged(Errno.EOVERFLOW, () -> copy(RW, b, a, -1L, 0, 0x100000), both, da, db);
        fx.assertFailsUnchanged(Errno.EOVERFLOW, () -> copy(RW, b, a, P, -1L, 0x100000), both, da, db);
        fx.assertFailsUnchanged(Errno.EOVERFLOW, () -> copy(RW, b, a, P, 0, -1L), both, da, db);
        fx.assertFailsUnchanged(Errno.EINVAL, () -> copy(IoasMapFlags.FIXED_IOVA, b, a, P, 0, 0x100000), both,
                da, db);
        fx.assertFailsUnchanged(Errno.ENOENT, () -> copy(RW, b, 999, P, 0, 0x100000), both, da, db);
        fx.assertFailsUnchanged(Errno.EINVAL, () -> copy(RW, b, a, 0, 0, 0x100000), both, da, db);
        fx.assertFailsUnchanged(Errno.EOVERFLOW, () -> copy(RW, b, a, 0x2000, 0, -0x1000L), both, da, db);
        // not covered: starts in a hole, runs into the gap after the fourth area
        fx.assertFailsUnchanged(Errno.ENOENT, () -> copy(RW, b, a, P, 0, 0x90000), both, da, db);
        fx.assertFailsUnchanged(Errno.ENOENT, () -> copy(RW, b, a, 0x30000, 0, 0x100000), both, da, db);
        // the source is checked before the destination is looked up
        fx.assertFailsUnchanged(Errno.ENOENT, () -> copy(RW, 999, a, P, 0, 0x90000), both, da, db);
        fx.assertFailsUnchanged(Errno.ENOENT, () -> copy(RW, 999, a, P, 0, 0x100000), both, da, db);
        // destination placement follows MAP
        fx.map(b, RW_FIXED, VA, P, 0x500000);
        fx.assertFailsUnchanged(Errno.EEXIST, () -> copy(RW_FIXED, b, a, 2 * P, 0x4ff000, 0x100000), both, da, db);
        fx.assertFailsUnchanged(Errno.EINVAL, () -> copy(RW_FIXED, b, a, 0x800, 0x600000, 0x100000), both, da,
                db);
    }

    @Test
    void copyOfWritableFromReadOnlyPagesIsEperm() {
        fx.map(a, IoasMapFlags.READABLE | IoasMapFlags.FIXED_IOVA, VA + 0x100000, 4 * P, 0x400000);
        fx.assertFailsUnchanged(Errno.EPERM, () -> copy(RW, b, a, 4 * P, 0, 0x400000), ids(a, b), da, db);
        long iova = copy(IoasMapFlags.READABLE, b, a, 4 * P, 0, 0x400000);
        assertEquals(PA + 0x100000, fx.translate(db, iova));
    }

    @Test
    void copyAcrossContiguousAreasMakesOneAreaEachAndSharesThePin() {
        long pins = fx.regions.pinCount(ram.id());
        long iova = copy(RW_FIXED, b, a, 20 * P, 0x800000, 0x106000);
        assertEquals(0x800000, iova);
        // 2 pages of the first source area, 8 of the next two, 2 of the fourth
        assertEquals(List.of(new IovaRange(0x800000, 0x801fff), new IovaRange(0x802000, 0x809fff),
                new IovaRange(0x80a000, 0x811fff), new IovaRange(0x812000, 0x813fff)), fx.table(b).areaRanges());
        for (long off = 0; off < 20 * P; off += P) {
            assertEquals(PA + 6 * P + off, fx.translate(db, 0x800000 + off));
        }
        assertEquals(pins, fx.regions.pinCount(ram.id()), "copied areas share the source's pins");
        // the pin outlives the source areas while the copies remain
        unmap(a, 0x100000, 0x20000);
        assertEquals(pins, fx.regions.pinCount(ram.id()), "every source area has a copy still");
        // a copied area is unmapped whole, like any other
        fx.assertFailsUnchanged(Errno.ENOENT, () -> unmap(b, 0x800000, 0x4000), ids(a, b), da, db);
        assertEquals(20 * P, unmap(b, 0x800000, 20 * P));
        assertEquals(1, fx.regions.pinCount(ram.id()));
    }

    @Test
    void copyWithinOneIoasAndAutomaticPlacement() {
        long iova = copy(RW, a, a, 8 * P, 0, 0x108000);
        assertTrue(iova != 0 && (iova & (8 * P - 1)) == 0, "aligned like the source VA and length: " + iova);
        assertEquals(PA + 8 * P, fx.translate(da, iova));
        assertEquals(6, fx.table(a).areaRanges().size());
    }
}
