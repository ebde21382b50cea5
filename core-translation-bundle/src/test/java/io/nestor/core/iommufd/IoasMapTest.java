package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.IommufdFixture.RW;
import static io.nestor.core.iommufd.IommufdFixture.RW_FIXED;
import static io.nestor.core.iommufd.IommufdFixture.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.pagetable.Permission;
import io.nestor.core.session.MemoryRegion;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** IOMMU_IOAS_MAP and MAP_FILE: every errno rule in the kernel's order, each leaving no trace. */
class IoasMapTest {
    private static final long VA = 0x10_0000_0000L;
    private static final long PA = 0x1_0000_0000L;
    private static final long RO_VA = 0x20_0000_0000L;
    private static final long RO_PA = 0x2_0000_0000L;
    private static final long MIB = 1L << 20;

    private final IommufdFixture fx = new IommufdFixture();
    private MemoryRegion ram;
    private MemoryRegion rom;
    private int ioas;
    private int hwpt;
    private PageTablePagingDomain domain;

    @BeforeEach
    void setUp() {
        ram = fx.region(VA, 16 * MIB, PA, true);
        rom = fx.region(RO_VA, MIB, RO_PA, false);
        ioas = fx.ioas();
        hwpt = fx.hwpt(ioas);
        domain = fx.domainOf(hwpt);
        fx.map(ioas, RW_FIXED, VA, 0x10000, 0x100000); // something already there
    }

    private void fails(Errno errno, int flags, int ioasId, int reserved, long va, long length, long iova) {
        fx.assertFailsUnchanged(errno,
                () -> fx.context.ioas().map(new IoasMapCommand(flags, ioasId, reserved, va, length, iova)),
                ids(ioas), domain);
    }

    @Test
    void flagsAndReservedAreCheckedFirst() {
        fails(Errno.EOPNOTSUPP, RW | 1 << 3, ioas, 0, VA, 0x1000, 0);
        fails(Errno.EOPNOTSUPP, RW, ioas, 1, VA, 0x1000, 0);
        // before the overflow, R/W and lookup checks
        fails(Errno.EOPNOTSUPP, 1 << 5, 999, 0, VA, -1L, -1L);
    }

    @Test
    void ulongMaxIovaOrLengthIsEoverflowBeforeTheOtherChecks() {
        fails(Errno.EOVERFLOW, RW_FIXED, ioas, 0, VA, 0x1000, -1L);
        fails(Errno.EOVERFLOW, RW, ioas, 0, VA, -1L, 0);
        fails(Errno.EOVERFLOW, IoasMapFlags.FIXED_IOVA, 999, 0, VA, -1L, 0);
    }

    @Test
    void neitherReadNorWriteIsEinvalBeforeTheLookup() {
        fails(Errno.EINVAL, IoasMapFlags.FIXED_IOVA, 999, 0, VA, 0x1000, 0x200000);
    }

    @Test
    void anUnknownIdOrAnIdOfAnotherKindIsEnoent() {
        fails(Errno.ENOENT, RW, 999, 0, VA, 0x1000, 0);
        fails(Errno.ENOENT, RW, 0, 0, VA, 0x1000, 0);
        fails(Errno.ENOENT, RW, hwpt, 0, VA, 0x1000, 0);
    }

    @Test
    void aWrappingUserRangeIsEoverflowAndAnEmptyOneEinval() {
        fails(Errno.EOVERFLOW, RW, ioas, 0, -0x1000L, 0x2000, 0);
        fails(Errno.EINVAL, RW, ioas, 0, VA, 0, 0);
    }

    @Test
    void lengthAndIovaMustBeAlignedToTheDomainsPage() {
        assertEquals(0x1000, fx.table(ioas).iovaAlignment());
        fails(Errno.EINVAL, RW, ioas, 0, VA, 0x800, 0);
        fails(Errno.EINVAL, RW_FIXED, ioas, 0, VA, 0x1000, 0x200800);
        // a user address whose own alignment is below the IOAS's cannot be placed automatically
        fails(Errno.EINVAL, RW, ioas, 0, VA + 0x800, 0x1000, 0);
        // nor placed by hand: the page offset must be aligned too
        fails(Errno.EINVAL, RW_FIXED, ioas, 0, VA + 0x800, 0x1000, 0x200000);
    }

    @Test
    void fixedPlacementIsCheckedForOverflowReservedAndExistingAreas() {
        fails(Errno.EOVERFLOW, RW_FIXED, ioas, 0, VA, 0x4000, -0x2000L);
        // beyond the domain's 48-bit aperture: reserved
        fails(Errno.EINVAL, RW_FIXED, ioas, 0, VA, 0x1000, 1L << 48);
        fails(Errno.EINVAL, RW_FIXED, ioas, 0, VA, 0x2000, (1L << 48) - 0x1000);
        // meets the area at [0x100000, 0x10ffff]
        fails(Errno.EEXIST, RW_FIXED, ioas, 0, VA, 0x2000, 0x10f000);
        fails(Errno.EEXIST, RW_FIXED, ioas, 0, VA, 0x1000, 0x100000);
        fails(Errno.EEXIST, RW_FIXED, ioas, 0, VA, 0x20000, 0xf0000);
    }

    @Test
    void noRoomIsEnospc() {
        fx.context.ioas().allowIovas(ioas, List.of(new IovaRange(0x400000, 0x40ffff)), 0);
        fails(Errno.ENOSPC, RW, ioas, 0, VA, 0x20000, 0);
        assertEquals(0x400000, fx.map(ioas, RW, VA, 0x10000, 0));
        fails(Errno.ENOSPC, RW, ioas, 0, VA, 0x1000, 0);
    }

    @Test
    void memoryThatIsNotSessionMemoryOrNotWritableIsEfault() {
        fails(Errno.EFAULT, RW, ioas, 0, 0x30_0000_0000L, 0x1000, 0);
        fails(Errno.EFAULT, RW_FIXED, ioas, 0, VA + 16 * MIB - 0x1000, 0x2000, 0x200000);
        fails(Errno.EFAULT, RW, ioas, 0, RO_VA, 0x1000, 0);
        long iova = fx.map(ioas, IoasMapFlags.READABLE, RO_VA, 0x1000, 0);
        assertEquals(RO_PA, fx.translate(domain, iova));
        assertEquals(1, fx.regions.pinCount(rom.id()));
    }

    @Test
    void aSuccessfulMapPinsOnceMirrorsAndReportsTheIova() {
        long before = fx.regions.pinCount(ram.id());
        long iova = fx.map(ioas, RW_FIXED, VA + 0x3000, 0x5000, 0x7000_0000L);
        assertEquals(0x7000_0000L, iova);
        assertEquals(before + 1, fx.regions.pinCount(ram.id()));
        for (long off = 0; off < 0x5000; off += 0x1000) {
            assertEquals(PA + 0x3000 + off, fx.translate(domain, iova + off));
        }
        assertEquals(-1, fx.translate(domain, iova + 0x5000));
        assertEquals(Permission.READ | Permission.WRITE | Permission.PRIV | Permission.USER,
                fx.table(ioas).areaProt(iova));
    }

    @Test
    void withoutADomainAreasMayBeByteGranular() {
        int plain = fx.ioas();
        assertEquals(1, fx.table(plain).iovaAlignment());
        assertEquals(0x5003, fx.map(plain, RW_FIXED, VA + 3, 5, 0x5003));
        assertEquals(List.of(new IovaRange(0x5003, 0x5007)), fx.table(plain).areaRanges());
    }

    @Test
    void mapFileChecksItsOwnFieldsThenTheRegion() {
        fx.assertFailsUnchanged(Errno.EOPNOTSUPP, () -> fx.context.ioas().mapFile(
                new IoasMapFileCommand(RW | 8, ioas, ram.id(), 0, 0x1000, 0)), ids(ioas), domain);
        fx.assertFailsUnchanged(Errno.EOVERFLOW, () -> fx.context.ioas().mapFile(
                new IoasMapFileCommand(RW, ioas, ram.id(), 0, -1L, 0)), ids(ioas), domain);
        fx.assertFailsUnchanged(Errno.EINVAL, () -> fx.context.ioas().mapFile(
                new IoasMapFileCommand(IoasMapFlags.FIXED_IOVA, ioas, ram.id(), 0, 0x1000, 0)), ids(ioas), domain);
        fx.assertFailsUnchanged(Errno.ENOENT, () -> fx.context.ioas().mapFile(
                new IoasMapFileCommand(RW, 999, ram.id(), 0, 0x1000, 0)), ids(ioas), domain);
        fx.assertFailsUnchanged(Errno.EINVAL, () -> fx.context.ioas().mapFile(
                new IoasMapFileCommand(RW, ioas, ram.id(), 0, 0, 0)), ids(ioas), domain);
        fx.assertFailsUnchanged(Errno.EOVERFLOW, () -> fx.context.ioas().mapFile(
                new IoasMapFileCommand(RW, ioas, ram.id(), -0x1000L, 0x2000, 0)), ids(ioas), domain);
        fx.assertFailsUnchanged(Errno.EBADF, () -> fx.context.ioas().mapFile(
                new IoasMapFileCommand(RW, ioas, 77, 0, 0x1000, 0)), ids(ioas), domain);
        fx.assertFailsUnchanged(Errno.EINVAL, () -> fx.context.ioas().mapFile(
                new IoasMapFileCommand(RW, ioas, ram.id(), 16 * MIB - 0x1000, 0x2000, 0)), ids(ioas), domain);
        fx.assertFailsUnchanged(Errno.EPERM, () -> fx.context.ioas().mapFile(
                new IoasMapFileCommand(RW, ioas, rom.id(), 0, 0x1000, 0)), ids(ioas), domain);
        // IOVA checks come before the pin: a taken IOVA wins over a range beyond the region
        fx.assertFailsUnchanged(Errno.EEXIST, () -> fx.context.ioas().mapFile(
                new IoasMapFileCommand(RW_FIXED, ioas, ram.id(), 16 * MIB, 0x1000, 0x100000)), ids(ioas), domain);
    }

    @Test
    void mapFileMapsTheRegionAtItsOffsetAndAlignsLikeTheOffset() {
        long iova = fx.context.ioas().mapFile(new IoasMapFileCommand(RW, ioas, ram.id(), 0x40000, 0x40000, 0));
        assertEquals(0, iova & 0x3ffff, "aligned like the file offset and the length");
        assertTrue(iova != 0);
        assertEquals(PA + 0x40000, fx.translate(domain, iova));
        assertEquals(PA + 0x7f000, fx.translate(domain, iova + 0x3f000));
    }
}
