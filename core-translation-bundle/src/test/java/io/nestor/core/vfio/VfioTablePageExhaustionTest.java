package io.nestor.core.vfio;

import static io.nestor.core.vfio.VfioFixture.PA;
import static io.nestor.core.vfio.VfioFixture.RW;
import static io.nestor.core.vfio.VfioFixture.VA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.iommufd.ContextOptions;
import io.nestor.core.iommufd.IommufdPlatform;
import io.nestor.core.memory.PageAllocator;
import org.junit.jupiter.api.Test;

/**
 * Table-page exhaustion at every step: the container's domains draw their tables from a window of
 * {@code n} pages; for every {@code n}, MAP_DMA and a group of another unit joining (a new domain,
 * filled with every mapping) either succeed or fail with ENOMEM leaving the mappings, pins, groups,
 * domains and every allocated page exactly as they were.
 */
class VfioTablePageExhaustionTest {
    private static final long WINDOW = 0x8000_0000L;
    /** IOVAs far enough apart that each needs its own three table pages below the root. */
    private static final long[] IOVAS = {0x10_0000L, 0x80_0000_0000L, 0x100_0000_0000L, 0x180_0000_0000L};

    @Test
    void mapAndJoinFailCleanlyAtEveryTablePage() {
        int succeededAll = -1;
        int mapFailures = 0;
        int joinFailures = 0;
        for (int pages = 0; pages <= 30 && succeededAll < 0; pages++) {
            VfioFixture f = new VfioFixture();
            PageAllocator tables = new PageAllocator(f.memory, WINDOW, (long) (pages + 1) << 12, 12);
            // one page more than 'pages' is needed to make the window non-empty: use it up front
            long spare = tables.allocate();
            IommufdPlatform platform = new IommufdPlatform(f.registry, f.bindings, tables);
            VfioContainer c = new VfioContainer(platform, f.groups, f.session, f.regions, ContextOptions.defaults(),
                    VfioContainerOptions.defaults(), f.pasids);
            c.setContainer(0);
            c.setIommu(VfioExtension.TYPE1V2_IOMMU);
            boolean failed = false;
            for (long iova : IOVAS) {
                if (!attempt(f, c, tables, () -> c.mapDma(RW, VA + 0x1000, iova, 0x1000))) {
                    failed = true;
                    mapFailures++;
                    break;
                }
            }
            if (!failed && !attempt(f, c, tables, () -> c.setContainer(4))) {
                failed = true;
                joinFailures++;
            }
            if (!failed) {
                succeededAll = pages;
                for (long iova : IOVAS) {
                    assertEquals(PA + 0x1000, f.translate(0, iova));
                    assertEquals(PA + 0x1000, f.translate(4, iova));
                }
            }
            c.close();
            tables.free(spare);
            assertEquals(0, tables.livePages(), pages + " pages: every table page went back");
            assertEquals(0, f.regions.totalPins());
        }
        assertTrue(succeededAll > 0, "some window is large enough for everything");
        assertEquals(12, mapFailures, "MAP_DMA failed at each of its table pages");
        assertEquals(12, joinFailures, "the join failed at each table page of its replay");
    }

    /** Runs {@code call}; on failure asserts ENOMEM and that nothing changed. */
    private static boolean attempt(VfioFixture f, VfioContainer c, PageAllocator tables, Runnable call) {
        VfioFixture.Snapshot before = f.snapshot(c).withoutCalls();
        long live = tables.livePages();
        try {
            call.run();
            return true;
        } catch (IommuException e) {
            assertEquals(Errno.ENOMEM, e.errno(), e.getMessage());
            assertEquals(before, f.snapshot(c).withoutCalls(), "state changed by " + e.getMessage());
            assertEquals(live, tables.livePages(), "table pages leaked by " + e.getMessage());
            return false;
        }
    }
}
