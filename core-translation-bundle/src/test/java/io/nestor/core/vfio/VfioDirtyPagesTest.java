package io.nestor.core.vfio;

import static io.nestor.core.vfio.VfioFixture.RW;
import static io.nestor.core.vfio.VfioFixture.VA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.core.iommufd.ContextOptions;
import io.nestor.core.iommufd.IovaRange;
import io.nestor.core.unit.IommuUnit;
import java.util.TreeSet;
import java.util.function.LongConsumer;
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

    /** Domains whose second stage records writes: the test plays the device writing pages. */
    private static final class DirtyDomains implements ContainerDomainFactory {
        final ContainerDomainFactory real;
        final TreeSet<Long> written = new TreeSet<>(Long::compareUnsigned);

        DirtyDomains(ContainerDomainFactory real) {
            this.real = real;
        }

        @Override
        public ContainerDomain allocate(IommuUnit unit, int hwptFlags) {
            ContainerDomain d = real.allocate(unit, hwptFlags);
            return new ContainerDomain() {
                @Override
                public DomainDescriptor descriptor() {
                    return d.descriptor();
                }

                @Override
                public boolean tracksDirty() {
                    return true;
                }

                @Override
                public void readAndClearDirty(long iova, long length, long pageSize, LongConsumer dirtyPage) {
                    for (Long p : new TreeSet<>(written.subSet(iova, iova + length))) {
                        dirtyPage.accept(p);
                        written.remove(p);
                    }
                }

                @Override
                public long pageSizes() {
                    return d.pageSizes();
                }

                @Override
                public IovaRange aperture() {
                    return d.aperture();
                }

                @Override
                public void map(long iova, long pa, long length, int prot) {
                    d.map(iova, pa, length, prot);
                }

                @Override
                public long unmap(long iova, long length) {
                    return d.unmap(iova, length);
                }

                @Override
                public void free() {
                    d.free();
                }
            };
        }
    }

    @Test
    void domainsTrackingDirtyReportTheirDirtyPagesAndClearThem() {
        DirtyDomains domains = new DirtyDomains(new DriverContainerDomains(f.registry));
        VfioContainer c = new VfioContainer(f.registry, f.groups, f.session, f.regions, ContextOptions.defaults(),
                VfioContainerOptions.defaults(), f.pasids, domains);
        c.setContainer(0);
        c.setIommu(VfioExtension.TYPE1V2_IOMMU);
        c.mapDma(RW, VA, IOVA, 0x8000);
        domains.written.add(IOVA); // written before tracking started: START clears it
        c.dirtyPages(START, 0, 0, null);
        domains.written.add(IOVA + 0x2000);
        domains.written.add(IOVA + 0x7000);
        assertArrayEquals(bits(0b1000_0100L), c.dirtyPages(GET, IOVA, 0x8000, BITMAP));
        assertArrayEquals(bits(0), c.dirtyPages(GET, IOVA, 0x8000, BITMAP), "read clears");
        domains.written.add(IOVA + 0x1000);
        VfioUnmapResult r = c.unmapDma(VfioDmaFlags.UNMAP_GET_DIRTY_BITMAP, IOVA, 0x8000, BITMAP);
        assertEquals(0x8000, r.size());
        assertArrayEquals(bits(0b10), r.bitmap());
        c.close();
    }
}
