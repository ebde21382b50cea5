package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.IommufdFixture.RW;
import static io.nestor.core.iommufd.IommufdFixture.RW_FIXED;
import static io.nestor.core.iommufd.IommufdFixture.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.error.Errno;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Automatic IOVA placement (iopt_alloc_iova) through MAP, and the hole arithmetic under it. */
class IovaAllocatorTest {
    private static final long VA = 0x10_0000_0000L;
    private static final long PA = 0x1_0000_0000L;

    private final IommufdFixture fx = new IommufdFixture();
    private int ioas;

    @BeforeEach
    void setUp() {
        fx.region(VA, 1L << 26, PA, true);
        ioas = fx.ioas();
    }

    private long auto(long va, long length) {
        return fx.map(ioas, RW, va, length, 0);
    }

    @Test
    void neverZeroAndAlignedToTheRoundedLength() {
        assertEquals(0x1000, auto(VA, 0x1000));
        assertEquals(0x4000, auto(VA, 0x3000), "0x3000 rounds up to 0x4000 alignment");
        assertEquals(0x2000, auto(VA, 0x1000), "first fit fills the hole left below");
    }

    @Test
    void alignmentFollowsTheSourceAddressAndIsCappedAtAHugePage() {
        // the VA is only 4 KiB aligned: a 64 KiB map needs no more than 4 KiB alignment
        assertEquals(0x1000, auto(VA + 0x3000, 0x10000));
        // a 4 MiB map from a 64 GiB-aligned VA is aligned to the 2 MiB huge page only
        assertEquals(0x200000, auto(VA, 0x400000));
    }

    @Test
    void theSubPageOffsetOfTheSourceIsKept() {
        long iova = auto(VA + 0x123, 0x100);
        assertEquals(0x1123, iova);
    }

    @Test
    void areasReservedRangesAndAllowedRangesAreAvoided() {
        fx.map(ioas, RW_FIXED, VA, 0x1000, 0x1000);
        fx.table(ioas).reserve(0x2000, 0x7fff, null);
        assertEquals(0x8000, auto(VA, 0x1000));
        fx.context.ioas().allowIovas(ioas, List.of(new IovaRange(0x100000, 0x100fff),
                new IovaRange(0x300000, 0x3fffff)), 0);
        assertEquals(0x100000, auto(VA, 0x1000));
        assertEquals(0x300000, auto(VA, 0x1000), "the first allowed range is full");
        assertEquals(0x310000, auto(VA, 0x10000), "64 KiB alignment inside the second");
    }

    @Test
    void errnosOfAutomaticPlacement() {
        fx.table(ioas).reserve(0x2000, -1L, null);
        fx.assertFailsUnchanged(Errno.ENOSPC, () -> auto(VA, 0x2000), ids(ioas));
        assertEquals(0x1000, auto(VA, 0x1000), "the one page left");
        fx.assertFailsUnchanged(Errno.ENOSPC, () -> auto(VA, 0x1000), ids(ioas));
        // a length of ULONG_MAX / 2 or more cannot be rounded up
        fx.assertFailsUnchanged(Errno.EOVERFLOW, () -> auto(VA, Long.MIN_VALUE), ids(ioas));
    }

    @Test
    void holesOfOverlappingRanges() {
        List<IovaRange> used = List.of(new IovaRange(0x10, 0x1f), new IovaRange(0x18, 0x2f),
                new IovaRange(0x40, 0x4f), new IovaRange(0x100, -1L));
        assertEquals(List.of(new IovaRange(0, 0xf), new IovaRange(0x30, 0x3f), new IovaRange(0x50, 0xff)),
                Holes.of(used, 0, -1L));
        assertEquals(List.of(new IovaRange(0x30, 0x3f), new IovaRange(0x50, 0x60)), Holes.of(used, 0x20, 0x60));
        assertEquals(List.of(new IovaRange(0, -1L)), Holes.of(List.of(), 0, -1L));
        assertEquals(List.of(), Holes.of(List.of(new IovaRange(0, -1L)), 0, -1L));
    }
}
