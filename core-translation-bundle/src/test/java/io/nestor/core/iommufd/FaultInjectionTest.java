package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.IommufdFixture.RW_FIXED;
import static io.nestor.core.iommufd.IommufdFixture.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.testformat.TestPageTableFormat;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Allocation failures injected at every step of MAP, COPY and HWPT creation: each failure leaves
 * areas, domain tables, pins, objects and the page count exactly as they were.
 *
 * <p>Page-table allocations are failed by leaving exactly {@code k} free pages in the allocator's
 * window for every {@code k} from 0 up to what the command needs, so the (k+1)-th allocation fails;
 * domain map calls are failed by a domain that refuses its n-th call.
 */
class FaultInjectionTest {
    private static final long VA = 0x10_0000_0000L;
    private static final long PA = 0x1_0000_0000L;
    private static final long M2 = 1L << 21;

    private final IommufdFixture fx = new IommufdFixture(TestPageTableFormat.granule4k(), ContextOptions.defaults(),
            256 * 0x1000L);
    private int ioas;
    private PageTablePagingDomain d1;
    private PageTablePagingDomain d2;

    @BeforeEach
    void setUp() {
        fx.region(VA, 8 * M2, PA, true);
        fx.region(VA + 8 * M2, M2, 0x2_0000_0000L, true);
        ioas = fx.ioas();
        d1 = fx.domainOf(fx.hwpt(ioas));
        d2 = fx.domainOf(fx.hwpt(ioas));
        fx.map(ioas, RW_FIXED, VA, 0x4000, 0x10000);
    }

    /** Takes every free page but {@code k}; returns what it took. */
    private List<Long> hogAllBut(int k) {
        List<Long> taken = new ArrayList<>();
        while (true) {
            try {
                taken.add(fx.allocator.allocate());
            } catch (IommuException e) {
                break;
            }
        }
        for (int i = 0; i < k; i++) {
            fx.allocator.free(taken.remove(taken.size() - 1));
        }
        return taken;
    }

    private void release(List<Long> hog) {
        for (long p : hog) {
            fx.allocator.free(p);
        }
    }

    /**
     * Runs {@code command} with k = 0, 1, ... free pages until it succeeds; every failure must be
     * ENOMEM with nothing changed. Returns the number of failures (the pages the command needed).
     */
    private int sweep(Runnable command, int[] ioasIds, PageTablePagingDomain... domains) {
        long baseline = fx.allocator.livePages();
        for (int k = 0; k < 256; k++) {
            List<Long> hog = hogAllBut(k);
            try {
                IommufdFixture.Snapshot before = fx.snapshot(ioasIds, domains);
                try {
                    command.run();
                    return k;
                } catch (IommuException e) {
                    assertEquals(Errno.ENOMEM, e.errno(), e.getMessage());
                    assertEquals(before, fx.snapshot(ioasIds, domains), "partial state after failure at page " + k);
                }
            } finally {
                release(hog);
            }
            assertEquals(baseline, fx.allocator.livePages(), "a page leaked by the failure at page " + k);
        }
        throw new AssertionError("never succeeded");
    }

    @Test
    void mapFailsCleanlyAtEveryPageTableAllocationOfEveryDomain() {
        // unaligned edges around a 2 MiB block, far from the existing area: new tables at every level
        long iova = (5L << 39) + M2 - 0x3000;
        int needed = sweep(() -> fx.map(ioas, RW_FIXED, VA + M2 - 0x3000, M2 + 0x5000, iova), ids(ioas), d1, d2);
        assertTrue(needed >= 8, "each domain needed tables at three levels and two leaf tables: " + needed);
        assertEquals(PA + M2 + 0x1000, fx.translate(d1, iova + 0x4000));
        assertEquals(PA + M2 + 0x1000, fx.translate(d2, iova + 0x4000));
    }

    @Test
    void copyFailsCleanlyAtEveryAllocation() {
        int other = fx.ioas();
        PageTablePagingDomain d3 = fx.domainOf(fx.hwpt(other));
        int needed = sweep(() -> fx.context.ioas().copy(new IoasCopyCommand(RW_FIXED, other, ioas, 0x4000,
                7L << 39, 0x10000)), ids(ioas, other), d1, d2, d3);
        assertTrue(needed >= 3, "new tables at three levels: " + needed);
        assertEquals(PA, fx.translate(d3, 7L << 39));
    }

    @Test
    void hwptCreationFailsCleanlyAtEveryAllocation() {
        fx.map(ioas, RW_FIXED, VA + M2, M2 + 0x1000, 3L << 39);
        int needed = sweep(() -> fx.hwpt(ioas), ids(ioas), d1, d2);
        assertTrue(needed >= 5, "a root, then tables for both areas: " + needed);
        assertEquals(4, fx.context.objects().objects().size());
    }

    /** A domain that refuses its n-th map call, as a driver might. */
    private static final class RefusingDomain implements PagingDomain {
        private final PagingDomain inner;
        private final int refuseAt;
        private int calls;

        RefusingDomain(PagingDomain inner, int refuseAt) {
            this.inner = inner;
            this.refuseAt = refuseAt;
        }

        @Override
        public long pageSizes() {
            return inner.pageSizes();
        }

        @Override
        public IovaRange aperture() {
            return inner.aperture();
        }

        @Override
        public void map(long iova, long pa, long length, int prot) {
            if (++calls == refuseAt) {
                throw IommuException.of(Errno.ENOMEM, "map call %d refused", calls);
            }
            inner.map(iova, pa, length, prot);
        }

        @Override
        public long unmap(long iova, long length) {
            return inner.unmap(iova, length);
        }

        @Override
        public void free() {
            inner.free();
        }
    }

    @Test
    void aRefusedMapCallInAMultiRunMapUndoesEveryEarlierCall() {
        // two physical runs: the refusing domain makes two map calls; refuse the first, then the second
        for (int n = 1; n <= 2; n++) {
            IommufdFixture f = new IommufdFixture();
            f.region(VA, 0x4000, PA, true);
            f.region(VA + 0x4000, 0x4000, 0x2_0000_0000L, true);
            int id = f.ioas();
            PageTablePagingDomain good = f.domainOf(f.hwpt(id));
            RefusingDomain[] box = new RefusingDomain[1];
            int refuseAt = n;
            HwptPaging.allocate(f.context, id, () -> box[0] = new RefusingDomain(f.newDomain(), refuseAt));
            // the good domain is filled first and must be emptied again
            IommuException e = f.assertFailsUnchanged(Errno.ENOMEM,
                    () -> f.map(id, RW_FIXED, VA + 0x2000, 0x4000, 0x80000), ids(id), good);
            assertTrue(e.getMessage().contains("refused"));
            assertEquals(0, f.regions.totalPins());
            assertTrue(f.leaves(good).isEmpty());
            f.context.close();
            assertEquals(0, f.allocator.livePages());
        }
    }

    @Test
    void aFailedPinChangesNothing() {
        long pins = fx.regions.totalPins();
        fx.assertFailsUnchanged(Errno.EFAULT, () -> fx.map(ioas, RW_FIXED, VA + 9 * M2 - 0x1000, 0x2000, 0x900000),
                ids(ioas), d1, d2);
        assertEquals(pins, fx.regions.totalPins());
        assertThrows(IommuException.class, () -> fx.regions.destroyRegion(1), "still pinned by the first area");
    }
}
