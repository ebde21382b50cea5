package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.translation.Access;
import org.junit.jupiter.api.Test;

/**
 * Allocation failures at every step of HWPT_ALLOC and of an IOAS attach (ids, the driver's tag and
 * root, its format, each page of the core's tables while the IOAS's areas are filled in, the
 * driver's attach): each leaves no object, no page, no tag and no attachment behind.
 */
class HwptFaultInjectionTest {
    /** Areas far apart, so that filling a domain needs many tables. */
    private static final long[] IOVAS = {0x10_0000L, 0x4000_0000L, 0x80_0000_0000L, 0x1_0000_0000L};

    private static void mapAll(DeviceFixture f, int ioas) {
        for (long iova : IOVAS) {
            f.mapRegion(ioas, iova, 0x2000);
        }
    }

    @Test
    void everyTablePageOfTheFillCanRunOut() {
        int successes = 0;
        int failures = 0;
        for (int pages = 1; successes == 0; pages++) {
            DeviceFixture f = new DeviceFixture(pages * 4096L);
            int dev = f.bind(NIC);
            int ioas = f.ioas();
            mapAll(f, ioas);
            DeviceFixture.Snapshot before = f.snapshot();
            try {
                int id = f.pagingHwpt(dev, ioas, 0); // the window is big enough now
                assertTrue(id > 0);
                assertEquals(pages, f.tablePages.livePages(), "the fill used exactly the window");
                successes++;
            } catch (io.nestor.api.error.IommuException e) {
                assertEquals(Errno.ENOMEM, e.errno());
                assertEquals(before, f.snapshot(), "pages " + pages);
                failures++;
            }
            assertTrue(pages < 64, "the fill should fit in 64 pages");
        }
        assertTrue(failures >= 8, "each of the fill's table allocations failed once: " + failures);
    }

    @Test
    void everyTablePageOfAnAutomaticAttachCanRunOut() {
        boolean attached = false;
        int failures = 0;
        for (int pages = 1; !attached; pages++) {
            DeviceFixture f = new DeviceFixture(pages * 4096L);
            int dev = f.bind(NIC);
            int ioas = f.ioas();
            mapAll(f, ioas);
            DeviceFixture.Snapshot before = f.snapshot();
            try {
                f.context.devices().attach(dev, DeviceInfo.NO_PASID, ioas);
                attached = true;
                assertEquals(0x3_0000_1000L, f.translate(NIC, DeviceInfo.NO_PASID, 0x4000_1000L, Access.READ));
            } catch (io.nestor.api.error.IommuException e) {
                assertEquals(Errno.ENOMEM, e.errno());
                assertEquals(before, f.snapshot());
                assertEquals(-1, f.translate(NIC, DeviceInfo.NO_PASID, 0x10_0000L, Access.READ));
                failures++;
            }
        }
        assertTrue(failures >= 8, "failures: " + failures);
    }

    @Test
    void driverStepsFailWithoutLeftovers() {
        DeviceFixture f = new DeviceFixture();
        int dev = f.bind(NIC);
        int ioas = f.ioas();
        mapAll(f, ioas);
        for (String step : new String[] {"allocPaging", "allocPagingRoot", "pagingFormat"}) {
            f.vtd.failOnce.put(step, Errno.ENOMEM);
            f.failsUnchanged(Errno.ENOMEM, () -> f.pagingHwpt(dev, ioas, 0));
            f.vtd.failOnce.put(step, Errno.ENOMEM);
            f.failsUnchanged(Errno.ENOMEM, () -> f.context.devices().attach(dev, DeviceInfo.NO_PASID, ioas));
        }
        f.vtd.failOnce.put("attach", Errno.ENOMEM);
        f.failsUnchanged(Errno.ENOMEM, () -> f.context.devices().attach(dev, DeviceInfo.NO_PASID, ioas));
        assertTrue(f.vtd.calls.stream().anyMatch(c -> c.startsWith("free ")),
                "the automatic HWPT made for the failed attach was freed: " + f.vtd.calls);
    }

    @Test
    void runningOutOfIdsLeavesNothing() {
        DeviceFixture f = new DeviceFixture();
        IommufdContext small = new IommufdContext(ContextOptions.defaults().withIdLimit(2), f.regions, f.platform);
        int dev = small.devices().bind(NIC);
        int ioas = small.ioas().alloc(0);
        long live = f.registry.structurePages().livePages();
        io.nestor.api.error.IommuException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.nestor.api.error.IommuException.class,
                () -> small.devices().attach(dev, DeviceInfo.NO_PASID, ioas));
        assertEquals(Errno.EBUSY, e.errno());
        assertEquals(live, f.registry.structurePages().livePages());
        assertEquals(0, f.registry.runtimeUnit("dmar0").orElseThrow().allocatedIds(HwptTestDriver.TAGS));
        assertEquals(java.util.Map.of(), small.table().objects().stream()
                .filter(o -> o instanceof DeviceObject).findFirst().map(o -> ((DeviceObject) o).attachmentIds())
                .orElseThrow());
    }
}
