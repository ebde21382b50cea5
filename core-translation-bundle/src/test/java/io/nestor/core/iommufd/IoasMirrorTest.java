package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.IommufdFixture.RW_FIXED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.testformat.TestPageTableFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** HWPT_PAGING mirroring: every attached domain holds exactly the IOAS's areas, in real tables. */
class IoasMirrorTest {
    private static final long VA = 0x10_0000_0000L;
    private static final long PA = 0x1_0000_0000L;
    private static final long M2 = 1L << 21;

    private final IommufdFixture fx = new IommufdFixture();

    @Test
    void attachFillsExistingAreasWithTheLargestLeaves() {
        fx.region(VA, 8 * M2, PA, true);
        int ioas = fx.ioas();
        fx.map(ioas, RW_FIXED, VA, 2 * M2, 4 * M2);
        fx.map(ioas, RW_FIXED, VA + 2 * M2 + 0x1000, 0x3000, 0x4000_0000L);
        PageTablePagingDomain d = fx.domainOf(fx.hwpt(ioas));
        List<long[]> leaves = fx.leaves(d);
        assertEquals(5, leaves.size(), "two 2 MiB blocks and three 4 KiB pages");
        assertEquals(M2, leaves.get(0)[2]);
        assertEquals(PA, leaves.get(0)[1]);
        assertEquals(PA + M2 + 0x5000, fx.translate(d, 5 * M2 + 0x5000));
        assertEquals(PA + 2 * M2 + 0x3000, fx.translate(d, 0x4000_2000L));
        assertEquals(-1, fx.translate(d, 0x4000_3000L));
    }

    @Test
    void mapUnmapAndCopyReachEveryAttachedDomain() {
        fx.region(VA, 8 * M2, PA, true);
        int a = fx.ioas();
        int b = fx.ioas();
        PageTablePagingDomain d1 = fx.domainOf(fx.hwpt(a));
        PageTablePagingDomain d2 = fx.domainOf(fx.hwpt(a));
        PageTablePagingDomain d3 = fx.domainOf(fx.hwpt(b));
        fx.map(a, RW_FIXED, VA + 0x10000, 0x8000, 0x100000);
        for (PageTablePagingDomain d : List.of(d1, d2)) {
            assertEquals(PA + 0x17000, fx.translate(d, 0x107000));
        }
        assertEquals(-1, fx.translate(d3, 0x107000), "another IOAS's domain is untouched");
        fx.context.ioas().copy(new IoasCopyCommand(RW_FIXED, b, a, 0x4000, 0x900000, 0x104000));
        assertEquals(PA + 0x14000, fx.translate(d3, 0x900000));
        fx.context.ioas().unmap(a, 0x100000, 0x8000);
        for (PageTablePagingDomain d : List.of(d1, d2)) {
            assertTrue(fx.leaves(d).isEmpty());
        }
        assertEquals(PA + 0x17000, fx.translate(d3, 0x903000), "the copy keeps the pages");
    }

    @Test
    void destroyingTheHwptEmptiesAndFreesItsTableAndReleasesTheIoas() {
        fx.region(VA, 8 * M2, PA, true);
        int ioas = fx.ioas();
        long live = fx.allocator.livePages();
        int hwpt = fx.hwpt(ioas);
        fx.map(ioas, RW_FIXED, VA, 0x5000, 0x123000);
        assertTrue(fx.allocator.livePages() > live + 1);
        IommuException busy = assertThrows(IommuException.class, () -> fx.context.destroy(ioas));
        assertEquals(Errno.EBUSY, busy.errno());
        fx.context.destroy(hwpt);
        assertEquals(live, fx.allocator.livePages());
        assertEquals(1, fx.table(ioas).iovaAlignment(), "with no domain left the alignment drops to 1");
    }

    @Test
    void attachRefusesAreasItCannotHold() {
        fx.region(VA, 8 * M2, PA, true);
        int ioas = fx.ioas();
        long live = fx.allocator.livePages();
        fx.map(ioas, RW_FIXED, VA + 0x10, 0x100, 0x5010);
        IommuException e = assertThrows(IommuException.class, () -> fx.hwpt(ioas));
        assertEquals(Errno.EADDRINUSE, e.errno(), "a byte-granular area does not fit 4 KiB pages");
        assertEquals(1, fx.table(ioas).iovaAlignment());
        fx.context.ioas().unmap(ioas, 0, -1L);
        fx.map(ioas, RW_FIXED, VA, 0x1000, 0x10_0000_0000L);
        IovaRange small = new IovaRange(0x1000, 0xffff_ffffL);
        e = assertThrows(IommuException.class, () -> HwptPaging.allocate(fx.context, ioas,
                () -> new PageTablePagingDomain(new PageTableBuilder(fx.format, fx.allocator), small)));
        assertEquals(Errno.EADDRINUSE, e.errno(), "an area outside the aperture");
        assertEquals(live, fx.allocator.livePages());
        assertTrue(fx.table(ioas).reservedRanges().isEmpty());
        assertEquals(1, fx.context.objects().objects().size(), "no HWPT left behind");
    }

    @Test
    void aDomainWhosePageExceedsTheHostPageIsEinval() {
        IommufdFixture f16 = new IommufdFixture(TestPageTableFormat.granule16k(), ContextOptions.defaults(),
                0x100_0000L);
        int ioas = f16.ioas();
        IommuException e = assertThrows(IommuException.class, () -> f16.hwpt(ioas));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(0, f16.allocator.livePages());
    }

    @Test
    void aSmallerApertureIsReservedAndShowsInIovaRanges() {
        int ioas = fx.ioas();
        IovaRange aperture = new IovaRange(1L << 24, (1L << 31) - 1);
        HwptPaging.allocate(fx.context, ioas,
                () -> new PageTablePagingDomain(new PageTableBuilder(fx.format, fx.allocator), aperture));
        assertEquals(List.of(aperture), fx.context.ioas().iovaRanges(ioas, 2, 0).ranges());
        fx.region(VA, M2, PA, true);
        assertEquals(1L << 24, fx.map(ioas, IommufdFixture.RW, VA, 0x1000, 0));
    }

    @Test
    void twoDomainsLeaveTheIntersectionOfTheirAperturesAndDetachGivesItBack() {
        int ioas = fx.ioas();
        IovaRange low = new IovaRange(0x1000, 0xffff_ffffL);
        IovaRange high = new IovaRange(0x8000_0000L, (1L << 40) - 1);
        int h1 = HwptPaging.allocate(fx.context, ioas,
                () -> new PageTablePagingDomain(new PageTableBuilder(fx.format, fx.allocator), low));
        HwptPaging.allocate(fx.context, ioas,
                () -> new PageTablePagingDomain(new PageTableBuilder(fx.format, fx.allocator), high));
        assertEquals(List.of(new IovaRange(0x8000_0000L, 0xffff_ffffL)),
                fx.context.ioas().iovaRanges(ioas, 4, 0).ranges());
        fx.context.destroy(h1);
        assertEquals(List.of(high), fx.context.ioas().iovaRanges(ioas, 4, 0).ranges());
    }

    @Test
    void hugePagesOffMapsHostPagesOnly() {
        fx.region(VA, 8 * M2, PA, true);
        int ioas = fx.ioas();
        fx.context.option(new OptionCommand(IommufdOption.HUGE_PAGES, IommufdOption.OP_SET, 0, ioas, 0));
        PageTablePagingDomain d = fx.domainOf(fx.hwpt(ioas));
        fx.map(ioas, RW_FIXED, VA, M2, M2);
        List<long[]> leaves = fx.leaves(d);
        assertEquals(512, leaves.size());
        assertTrue(leaves.stream().allMatch(l -> l[2] == 0x1000));
        fx.context.ioas().unmap(ioas, 0, -1L);
        fx.context.option(new OptionCommand(IommufdOption.HUGE_PAGES, IommufdOption.OP_SET, 0, ioas, 1));
        fx.map(ioas, RW_FIXED, VA, M2, M2);
        assertEquals(1, fx.leaves(d).size());
    }

    @Test
    void aMapAcrossTwoRegionsFollowsBothPhysicalRuns() {
        fx.region(VA, 0x4000, PA, true);
        fx.region(VA + 0x4000, 0x4000, 0x3_0000_0000L, true);
        int ioas = fx.ioas();
        PageTablePagingDomain d = fx.domainOf(fx.hwpt(ioas));
        fx.map(ioas, RW_FIXED, VA + 0x2000, 0x4000, 0x40000);
        assertEquals(PA + 0x3000, fx.translate(d, 0x41000));
        assertEquals(0x3_0000_0000L, fx.translate(d, 0x42000));
        assertEquals(0x3_0000_1000L, fx.translate(d, 0x43000));
    }

    @Test
    void sixteenKilobyteGranuleOnSixteenKilobyteHostPages() {
        IommufdFixture f16 = new IommufdFixture(TestPageTableFormat.granule16k(),
                ContextOptions.defaults().withPageSize(0x4000, 32L << 20), 0x400_0000L);
        long m32 = 32L << 20;
        f16.region(VA, 2 * m32, PA, true);
        int ioas = f16.ioas();
        PageTablePagingDomain d = f16.domainOf(f16.hwpt(ioas));
        assertEquals(0x4000, f16.table(ioas).iovaAlignment());
        IommuException e = assertThrows(IommuException.class,
                () -> f16.map(ioas, RW_FIXED, VA, 0x1000, 0x4000));
        assertEquals(Errno.EINVAL, e.errno(), "4 KiB is not a multiple of the 16 KiB granule");
        f16.map(ioas, RW_FIXED, VA, m32 + 0x8000, m32);
        List<long[]> leaves = f16.leaves(d);
        assertEquals(3, leaves.size(), "one 32 MiB block and two 16 KiB pages");
        assertEquals(m32, leaves.get(0)[2]);
        assertEquals(PA + m32 + 0x4000, f16.translate(d, 2 * m32 + 0x4000));
        f16.context.close();
        assertEquals(0, f16.allocator.livePages());
    }
}
