package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.IommufdFixture.RW;
import static io.nestor.core.iommufd.IommufdFixture.RW_FIXED;
import static io.nestor.core.iommufd.IommufdFixture.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.testformat.TestPageTableFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** IOVA_RANGES, ALLOW_IOVAS, reserved ranges and IOMMU_OPTION. */
class IoasRangesOptionTest {
    private static final long VA = 0x10_0000_0000L;
    private static final long PA = 0x1_0000_0000L;
    private static final long TOP48 = (1L << 48) - 1;

    private IommufdFixture fx = new IommufdFixture();
    private int ioas;

    @BeforeEach
    void setUp() {
        fx.region(VA, 1L << 24, PA, true);
        ioas = fx.ioas();
    }

    private IovaRangesReply ranges(int id, int capacity) {
        return fx.context.ioas().iovaRanges(id, capacity, 0);
    }

    @Test
    void aFreshIoasSpansEverythingWithAlignmentOne() {
        IovaRangesReply r = ranges(ioas, 4);
        assertEquals(List.of(new IovaRange(0, -1L)), r.ranges());
        assertEquals(1, r.numIovas());
        assertEquals(1, r.outIovaAlignment());
        assertFalse(r.truncated());
    }

    @Test
    void iovaRangesErrnos() {
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class,
                () -> fx.context.ioas().iovaRanges(ioas, 1, 1)).errno());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> ranges(42, 1)).errno());
    }

    @Test
    void aDomainsApertureAndReservedRangesShapeTheRanges() {
        fx.hwpt(ioas);
        assertEquals(List.of(new IovaRange(0, TOP48)), ranges(ioas, 4).ranges());
        assertEquals(0x1000, ranges(ioas, 4).outIovaAlignment());
        fx.table(ioas).reserve(0xfee00000L, 0xfeefffffL, "msi");
        IovaRangesReply r = ranges(ioas, 4);
        assertEquals(List.of(new IovaRange(0, 0xfedfffffL), new IovaRange(0xfef00000L, TOP48)), r.ranges());
        IovaRangesReply small = ranges(ioas, 1);
        assertTrue(small.truncated(), "the ioctl answers EMSGSIZE");
        assertEquals(2, small.numIovas());
        assertEquals(List.of(new IovaRange(0, 0xfedfffffL)), small.ranges());
        fx.table(ioas).removeReserved("msi");
        assertEquals(1, ranges(ioas, 4).numIovas());
    }

    @Test
    void reservingOverAnAreaOrAnAllowedRangeIsEaddrinuse() {
        fx.map(ioas, RW_FIXED, VA, 0x1000, 0x10000);
        fx.assertFailsUnchanged(Errno.EADDRINUSE, () -> fx.table(ioas).reserve(0x10fff, 0x20000, null), ids(ioas));
        fx.context.ioas().allowIovas(ioas, List.of(new IovaRange(0x100000, 0x1fffff)), 0);
        assertThrows(IommuException.class, () -> fx.table(ioas).reserve(0x1ff000, 0x2fffff, null));
        assertEquals(List.of(), fx.table(ioas).reservedRanges());
    }

    @Test
    void allowIovasValidatesEachRangeAndIsAtomic() {
        List<IovaRange> good = List.of(new IovaRange(0x100000, 0x1fffff));
        fx.context.ioas().allowIovas(ioas, good, 0);
        fx.table(ioas).reserve(0x400000, 0x4fffff, null);
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class,
                () -> fx.context.ioas().allowIovas(ioas, List.of(), 1)).errno());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class,
                () -> fx.context.ioas().allowIovas(7, List.of(), 0)).errno());
        for (List<IovaRange> bad : List.of(List.of(new IovaRange(0x2000, 0x2000)),
                List.of(new IovaRange(0x3000, 0x2000)),
                List.of(new IovaRange(0x10000, 0x1ffff), new IovaRange(0x1f000, 0x2ffff)))) {
            IommuException e = assertThrows(IommuException.class, () -> fx.context.ioas().allowIovas(ioas, bad, 0));
            assertEquals(Errno.EINVAL, e.errno(), bad.toString());
            assertEquals(good, fx.table(ioas).allowedRanges());
        }
        IommuException e = assertThrows(IommuException.class, () -> fx.context.ioas().allowIovas(ioas,
                List.of(new IovaRange(0x800000, 0x8fffff), new IovaRange(0x4ff000, 0x5fffff)), 0));
        assertEquals(Errno.EADDRINUSE, e.errno());
        assertEquals(good, fx.table(ioas).allowedRanges(), "the old list stays");
        // automatic placement stays inside the allowed ranges
        long iova = fx.map(ioas, RW, VA, 0x10000, 0);
        assertTrue(iova >= 0x100000 && iova + 0x10000 - 1 <= 0x1fffff, Long.toHexString(iova));
        fx.context.ioas().allowIovas(ioas, List.of(), 0);
        assertEquals(List.of(), fx.table(ioas).allowedRanges());
    }

    @Test
    void attachingADomainWhoseApertureMeetsAnAllowedRangeIsEaddrinuse() {
        fx.context.ioas().allowIovas(ioas, List.of(new IovaRange(1L << 50, (1L << 50) + 0xfff)), 0);
        long live = fx.allocator.livePages();
        IommuException e = assertThrows(IommuException.class, () -> fx.hwpt(ioas));
        assertEquals(Errno.EADDRINUSE, e.errno());
        assertEquals(live, fx.allocator.livePages(), "the domain was freed");
        assertTrue(fx.table(ioas).reservedRanges().isEmpty());
        assertEquals(List.of(ioas), fx.context.objects().objects().stream().map(IommufdObject::id).toList());
    }

    private long option(int id, int op, int reserved, int objectId, long val) {
        return fx.context.option(new OptionCommand(id, op, reserved, objectId, val));
    }

    @Test
    void rlimitModeRules() {
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class,
                () -> option(IommufdOption.RLIMIT_MODE, IommufdOption.OP_GET, 1, 0, 0)).errno());
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class,
                () -> option(9, IommufdOption.OP_GET, 0, 0, 0)).errno());
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class,
                () -> option(IommufdOption.RLIMIT_MODE, IommufdOption.OP_GET, 0, ioas, 0)).errno());
        assertEquals(0, option(IommufdOption.RLIMIT_MODE, IommufdOption.OP_GET, 0, 0, 0));
        assertEquals(Errno.EPERM, assertThrows(IommuException.class,
                () -> option(IommufdOption.RLIMIT_MODE, IommufdOption.OP_SET, 0, 0, 1)).errno());

        IommufdFixture priv = new IommufdFixture(TestPageTableFormat.granule4k(),
                ContextOptions.defaults().withCapSysResource(true), 0x100000);
        int id = priv.ioas();
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class,
                () -> priv.context.option(new OptionCommand(0, IommufdOption.OP_SET, 0, 0, 1))).errno());
        priv.context.destroy(id);
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> priv.context.option(new OptionCommand(0, IommufdOption.OP_SET, 0, 0, 2))).errno());
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class,
                () -> priv.context.option(new OptionCommand(0, 7, 0, 0, 1))).errno());
        assertEquals(1, priv.context.option(new OptionCommand(0, IommufdOption.OP_SET, 0, 0, 1)));
        assertEquals(1, priv.context.option(new OptionCommand(0, IommufdOption.OP_GET, 0, 0, 0)));
    }

    @Test
    void hugePagesRules() {
        int hp = IommufdOption.HUGE_PAGES;
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class,
                () -> option(hp, IommufdOption.OP_GET, 0, 0, 0)).errno());
        assertEquals(1, option(hp, IommufdOption.OP_GET, 0, ioas, 0));
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> option(hp, IommufdOption.OP_SET, 0, ioas, 2)).errno());
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class,
                () -> option(hp, 3, 0, ioas, 0)).errno());
        // a byte-granular area cannot live with host-page alignment
        fx.map(ioas, RW_FIXED, VA + 1, 0x10, 0x1001);
        assertEquals(Errno.EADDRINUSE, assertThrows(IommuException.class,
                () -> option(hp, IommufdOption.OP_SET, 0, ioas, 0)).errno());
        assertEquals(1, option(hp, IommufdOption.OP_GET, 0, ioas, 0));
        assertEquals(1, ranges(ioas, 1).outIovaAlignment());
        fx.context.ioas().unmap(ioas, 0, -1L);
        // domains with mappings refuse
        fx.hwpt(ioas);
        fx.map(ioas, RW_FIXED, VA, 0x1000, 0x1000);
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> option(hp, IommufdOption.OP_SET, 0, ioas, 0)).errno());
        fx.context.ioas().unmap(ioas, 0, -1L);
        assertEquals(0, option(hp, IommufdOption.OP_SET, 0, ioas, 0));
        assertEquals(0, option(hp, IommufdOption.OP_GET, 0, ioas, 0));
        assertEquals(0x1000, ranges(ioas, 1).outIovaAlignment());
        assertEquals(1, option(hp, IommufdOption.OP_SET, 0, ioas, 1));
    }
}
