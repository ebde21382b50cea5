package io.nestor.core.vfio;

import static io.nestor.core.vfio.VfioFixture.RW;
import static io.nestor.core.vfio.VfioFixture.VA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.translation.Access;
import io.nestor.core.translate.TranslationResult;
import org.junit.jupiter.api.Test;

/** VFIO_IOMMU_DIRTY_PAGES and the bitmaps of GET_BITMAP and UNMAP_DMA. */
class VfioDirtyPagesTest {
    private static final long IOVA = 0x10_0000;
    private static final int START = VfioDmaFlags.DIRTY_PAGES_START;
    private static final int STOP = VfioDmaFlags.DIRTY_PAGES_STOP;
    private static final int GET = VfioDmaFlags.DIRTY_PAGES_GET_BITMAP;
    private static final VfioBitmap BITMAP = new VfioBitmap(0x1000, 8);
    private final VfioFixture f = new VfioFixture();

    private static byte[] bits(long word) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (word >>> (8 * i));
        }
        return b;
    }

    @Test
    void checksInTypeOnesOrder() {
        VfioContainer v1 = f.container(2, VfioExtension.TYPE1_IOMMU);
        f.assertFailsUnchanged(Errno.EACCES, v1, () -> v1.dirtyPages(0, 0, 0, null)); // v2 first, then flags
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU);
        c.mapDma(RW, VA, IOVA, 0x4000);
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(0, 0, 0, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(8, 0, 0, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(START | STOP, 0, 0, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, IOVA, 0x4000, null)); // no range struct
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, -0x1000L, 0x2000, BITMAP)); // wraps
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, IOVA, 0x4000, new VfioBitmap(0x1000, 0)));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, IOVA, 0x100_0000_0000L, BITMAP)); // small
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, IOVA, 0x800, BITMAP)); // no page
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, IOVA, 0x4000, new VfioBitmap(0x2000, 8)));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, IOVA + 0x800, 0x4000, BITMAP));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, IOVA, 0x1800, BITMAP));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, IOVA, 0x4000, BITMAP)); // not started
        c.dirtyPages(START, 0, 0, null);
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, IOVA + 0x1000, 0x4000, BITMAP)); // cuts
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, IOVA - 0x1000, 0x2000, BITMAP));
    }

    @Test
    void withoutHardwareDirtyBitsEveryMappedPageIsDirty() {
        f.vtd.dirtyCapable = false; // a unit without second-stage A/D: type1's pinned-page answer
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU);
        c.mapDma(RW, VA, IOVA, 0x3000);
        c.mapDma(RW, VA, IOVA + 0x5000, 0x1000);
        c.dirtyPages(START, 0, 0, null);
        c.dirtyPages(START, 0, 0, null); // idempotent
        assertArrayEquals(bits(0b100_1110L), c.dirtyPages(GET, IOVA - 0x1000, 0x8000, BITMAP));
        assertArrayEquals(bits(0b100_1110L), c.dirtyPages(GET, IOVA - 0x1000, 0x8000, BITMAP),
                "pinned pages stay dirty");
        assertEquals(16, c.dirtyPages(GET, IOVA, 0x41000, new VfioBitmap(0x1000, 16)).length,
                "65 pages take two words");
        c.dirtyPages(STOP, 0, 0, null);
        c.dirtyPages(STOP, 0, 0, null);
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(GET, IOVA, 0x3000, BITMAP));
    }

    /** A DMA write by group {@code group}'s device through the engine (the walker marks the leaf dirty). */
    private void dmaWrite(int group, long iova) {
        TranslationResult r = new TranslationResult();
        DeviceInfo d = f.device(group);
        assertTrue(f.registry.engine().translate(f.unit(d.unit()).index(), d.sourceId(), DeviceInfo.NO_PASID, iova,
                Access.WRITE, r), r.toString());
    }

    @Test
    void secondStageDirtyBitsGiveThePagesDmaWroteAndReadingClearsThem() {
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU); // dmar0 tracks dirty: a DIRTY_TRACKING HWPT
        assertTrue(f.vtd.ops().contains("alloc " + NestingTestDriver.DIRTY_TRACKING));
        c.mapDma(RW, VA, IOVA, 0x8000);
        dmaWrite(0, IOVA); // before tracking starts: START takes a clean snapshot
        c.dirtyPages(START, 0, 0, null);
        dmaWrite(0, IOVA + 0x2000);
        dmaWrite(0, IOVA + 0x7ff8);
        assertArrayEquals(bits(0b1000_0100L), c.dirtyPages(GET, IOVA, 0x8000, BITMAP));
        assertArrayEquals(bits(0), c.dirtyPages(GET, IOVA, 0x8000, BITMAP), "reading cleared them");
        dmaWrite(0, IOVA + 0x2000); // recorded again after the clear
        dmaWrite(0, IOVA + 0x1000);
        VfioUnmapResult r = c.unmapDma(VfioDmaFlags.UNMAP_GET_DIRTY_BITMAP, IOVA, 0x8000, BITMAP);
        assertEquals(0x8000, r.size());
        assertArrayEquals(bits(0b110L), r.bitmap());
    }

    @Test
    void aContainerSpanningAUnitWithoutDirtyBitsReportsEveryPage() {
        VfioContainer c = f.container(0, VfioExtension.TYPE1_NESTING_IOMMU); // a nest parent: no DIRTY_TRACKING
        c.mapDma(RW, VA, IOVA, 0x2000);
        c.dirtyPages(START, 0, 0, null);
        assertArrayEquals(bits(0b11L), c.dirtyPages(GET, IOVA, 0x2000, BITMAP));
    }
}
