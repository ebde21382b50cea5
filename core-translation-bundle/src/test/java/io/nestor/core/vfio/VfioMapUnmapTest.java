package io.nestor.core.vfio;

import static io.nestor.core.vfio.VfioFixture.PA;
import static io.nestor.core.vfio.VfioFixture.REGION;
import static io.nestor.core.vfio.VfioFixture.RW;
import static io.nestor.core.vfio.VfioFixture.VA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** MAP_DMA and UNMAP_DMA: every errno rule in the kernel's order, v1 and v2 semantics, and a model test. */
class VfioMapUnmapTest {
    private static final long IOVA = 0x10_0000;
    private final VfioFixture f = new VfioFixture();

    @Test
    void mapChecksInTypeOnesOrder() {
        VfioContainer c = f.container(new VfioContainerOptions(2));
        c.setContainer(0);
        c.setIommu(VfioExtension.TYPE1V2_IOMMU);
        c.mapDma(RW, VA, IOVA, 0x4000);
        // flags: VADDR (not offered) and unknown bits
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(RW | VfioDmaFlags.MAP_VADDR, VA, 0x40_0000, 0x1000));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(RW | 8, VA, 0x40_0000, 0x1000));
        // no protection, even over an existing mapping (EINVAL comes before EEXIST)
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(0, VA, IOVA, 0x1000));
        // size zero or anything unaligned to the smallest page, before EEXIST
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(RW, VA, IOVA, 0));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(RW, VA, IOVA, 0x800));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(RW, VA, IOVA + 0x800, 0x1000));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(RW, VA + 0x800, IOVA, 0x1000));
        // wrapping iova or vaddr
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(RW, VA, -0x1000L, 0x2000));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(RW, -0x1000L, 0x40_0000, 0x2000));
        // overlap: EEXIST, before ENOSPC and before the range and pin checks
        c.mapDma(RW, VA, 0x20_0000, 0x1000); // the container is now full (limit 2)
        f.assertFailsUnchanged(Errno.EEXIST, c, () -> c.mapDma(RW, 0x1000, IOVA + 0x3000, 0x2000));
        f.assertFailsUnchanged(Errno.EEXIST, c, () -> c.mapDma(RW, VA, IOVA - 0x1000, 0x2000));
        // no mapping left: ENOSPC, before the IOVA range check and the pin
        f.assertFailsUnchanged(Errno.ENOSPC, c, () -> c.mapDma(RW, 0x1000, 1L << 48, 0x1000));
        c.unmapDma(0, 0x20_0000, 0x1000, null);
        // outside the valid IOVA ranges (the 48-bit aperture): EINVAL, before the pin
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(RW, 0x1000, 1L << 48, 0x1000));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(RW, 0x1000, (1L << 48) - 0x1000, 0x2000));
        // the pin: not session memory, or WRITE into the read-only region: EFAULT
        f.assertFailsUnchanged(Errno.EFAULT, c, () -> c.mapDma(RW, 0x1000, 0x40_0000, 0x1000));
        f.assertFailsUnchanged(Errno.EFAULT, c, () -> c.mapDma(RW, VA + REGION - 0x1000, 0x40_0000, 0x2000));
        f.assertFailsUnchanged(Errno.EFAULT, c,
                () -> c.mapDma(VfioDmaFlags.MAP_WRITE, VA + REGION, 0x40_0000, 0x1000));
        c.mapDma(VfioDmaFlags.MAP_READ, VA + REGION, 0x40_0000, 0x1000);
        assertEquals(2, c.mappings().size());
    }

    @Test
    void mappingsTranslateThroughTheEngineForEveryDeviceOfTheUnit() {
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU);
        c.mapDma(RW, VA + 0x20_0000, IOVA, 0x40_0000);
        assertEquals(PA + 0x20_0000, f.translate(0, IOVA));
        assertEquals(PA + 0x20_0000 + 0x3f_f123, f.translate(0, IOVA + 0x3f_f123));
        assertEquals(-1, f.translate(0, IOVA + 0x40_0000));
        c.setContainer(1); // joins the same domain: the mapping is there
        assertEquals(PA + 0x21_0000, f.translate(1, IOVA + 0x1_0000));
        c.setContainer(4); // another unit: a new domain filled with the existing mapping
        assertTrue(f.smmu.attached.containsKey("0001:00:01.0"));
        assertEquals(PA + 0x20_0000, f.translate(4, IOVA), "the new domain was filled with the mapping");
        assertEquals(1, f.regions.totalPins(), "one pin, mirrored into both domains");
        c.unmapDma(0, IOVA, 0x40_0000, null);
        assertEquals(-1, f.translate(0, IOVA), "the IOTLB forgot the unmapped page");
        assertEquals(-1, f.translate(1, IOVA + 0x1_0000));
        assertEquals(-1, f.translate(4, IOVA));
        assertEquals(0, f.regions.totalPins());
    }

    @Test
    void unitsJoiningLaterGetEveryMappingAndLeavingOnesTakeTheirTables() {
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU);
        c.mapDma(RW, VA, IOVA, 0x3000);
        c.mapDma(VfioDmaFlags.MAP_READ, VA + 0x40_0000, 0x4000_0000L, 0x20_0000);
        long pages = f.structurePages();
        c.setContainer(4);
        assertEquals(PA + 0x2000, f.translate(4, IOVA + 0x2000));
        assertEquals(PA + 0x41_0000, f.translate(4, 0x4001_0000L));
        assertTrue(f.structurePages() > pages);
        c.unsetContainer(4);
        assertEquals(pages, f.structurePages(), "smmu0's domain, root and tables went back");
        assertEquals(-1, f.translate(4, IOVA));
        c.setContainer(5);
        assertEquals(PA + 0x41_0000, f.translate(5, 0x4001_0000L));
        assertEquals(0x20_0000, c.unmapDma(0, 0x4000_0000L, 0x20_0000, null).size());
        assertEquals(-1, f.translate(5, 0x4001_0000L));
        assertEquals(-1, f.translate(0, 0x4001_0000L));
        assertEquals(PA + 0x1000, f.translate(5, IOVA + 0x1000));
        assertEquals(1, f.regions.totalPins());
    }

    @Test
    void unmapChecksInTypeOnesOrder() {
        f.vtd.dirtyCapable = false; // every pinned page reports dirty
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU);
        c.mapDma(RW, VA, IOVA, 0x4000);
        c.mapDma(RW, VA, IOVA + 0x4000, 0x4000);
        VfioBitmap bitmap = new VfioBitmap(0x1000, 8);
        int dirty = VfioDmaFlags.UNMAP_GET_DIRTY_BITMAP;
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(VfioDmaFlags.UNMAP_VADDR, IOVA, 0x4000, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(8, IOVA, 0x4000, null));
        f.assertFailsUnchanged(Errno.EINVAL, c,
                () -> c.unmapDma(dirty | VfioDmaFlags.UNMAP_ALL, 0, 0, bitmap));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(dirty, IOVA, 0x4000, null)); // argsz: no bitmap
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(dirty, IOVA, 0x4000, new VfioBitmap(0x1000, 0)));
        f.assertFailsUnchanged(Errno.EINVAL, c,
                () -> c.unmapDma(dirty, IOVA, 0x8_0000_0000L, new VfioBitmap(0x1000, 8))); // too small
        f.assertFailsUnchanged(Errno.EINVAL, c,
                () -> c.unmapDma(dirty, IOVA, 0x4000, new VfioBitmap(0x1000, VfioBitmap.SIZE_MAX + 8)));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(dirty, IOVA, 0x4000, new VfioBitmap(0, 8)));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(0, IOVA + 0x800, 0x4000, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(VfioDmaFlags.UNMAP_ALL, IOVA, 0, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(VfioDmaFlags.UNMAP_ALL, 0, 0x1000, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(0, IOVA, 0, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(0, IOVA, 0x4800, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(0, -0x1000L, 0x2000, null));
        // a bitmap while dirty tracking is off, or of another page size once it is on
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(dirty, IOVA, 0x4000, bitmap));
        c.dirtyPages(VfioDmaFlags.DIRTY_PAGES_START, 0, 0, null);
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(dirty, IOVA, 0x4000, new VfioBitmap(0x2000, 8)));
        // v2: no mapping may be cut at either end
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(0, IOVA + 0x1000, 0x3000, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(0, IOVA, 0x5000, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(0, IOVA - 0x1000, 0x2000, null));
        // nothing mapped in the range: success, size 0
        assertEquals(0, c.unmapDma(0, 0x80_0000, 0x1000, null).size());
        // whole mappings, with the bitmap of the range: every page of a pinned mapping is dirty
        VfioUnmapResult r = c.unmapDma(dirty, IOVA - 0x2000, 0x6000, bitmap);
        assertEquals(0x4000, r.size());
        assertArrayEquals(new byte[] {0x3c, 0, 0, 0, 0, 0, 0, 0}, r.bitmap(), "pages 2..5 of the range");
        assertEquals(1, c.mappings().size());
        assertEquals(0x4000, c.unmapDma(VfioDmaFlags.UNMAP_ALL, 0, 0, null).size());
        assertEquals(0, c.unmapDma(VfioDmaFlags.UNMAP_ALL, 0, 0, null).size(), "ALL of nothing succeeds");
        assertEquals(0, f.regions.totalPins());
    }

    @Test
    void typeOneV1UnmapsWholeMappingsFromTheirFirstIovaAndNothingFromTheirMiddle() {
        VfioContainer c = f.container(0, VfioExtension.TYPE1_IOMMU);
        c.mapDma(RW, VA, IOVA, 0x4000);
        c.mapDma(RW, VA, IOVA + 0x4000, 0x4000);
        assertEquals(0, c.unmapDma(0, IOVA + 0x1000, 0x8000, null).size(), "starts inside: nothing, success");
        assertEquals(2, c.mappings().size());
        assertEquals(0x4000, c.unmapDma(0, IOVA - 0x1000, 0x2000, null).size(), "covers the first IOVA: all of it");
        assertEquals(List.of(IOVA + 0x4000), iovas(c));
        assertEquals(Errno.EACCES,
                assertThrows(IommuException.class, () -> c.dirtyPages(VfioDmaFlags.DIRTY_PAGES_START, 0, 0, null))
                        .errno());
    }

    private static List<Long> iovas(VfioContainer c) {
        List<Long> out = new ArrayList<>();
        for (long[] m : c.mappings()) {
            out.add(m[0]);
        }
        return out;
    }

    /**
     * Random MAP / UNMAP of page runs against a reference model of type1 v2: same success or errno,
     * same mappings, same translations, pins equal to the mappings.
     */
    @Test
    void randomMapUnmapMatchesTheModel() {
        VfioContainer c = f.container(new VfioContainerOptions(40));
        c.setContainer(0);
        c.setIommu(VfioExtension.TYPE1V2_IOMMU);
        TreeMap<Long, long[]> model = new TreeMap<>(); // iova -> {size, vaddr}
        Random rnd = new Random(0x5eed);
        long page = 0x1000;
        for (int step = 0; step < 400; step++) {
            long iova = rnd.nextInt(64) * page;
            long size = (1 + rnd.nextInt(6)) * page;
            if (rnd.nextInt(3) > 0) {
                long vaddr = VA + rnd.nextInt(256) * page;
                Errno expected = null;
                for (Map.Entry<Long, long[]> e : model.entrySet()) {
                    if (e.getKey() < iova + size && iova < e.getKey() + e.getValue()[0]) {
                        expected = Errno.EEXIST;
                    }
                }
                if (expected == null && model.size() == 40) {
                    expected = Errno.ENOSPC;
                }
                Errno got = errnoOf(() -> c.mapDma(RW, vaddr, iova, size));
                assertEquals(expected, got, "step " + step + " map " + iova + "+" + size);
                if (got == null) {
                    model.put(iova, new long[] {size, vaddr});
                }
            } else {
                Errno expected = null;
                long removed = 0;
                List<Long> victims = new ArrayList<>();
                for (Map.Entry<Long, long[]> e : model.entrySet()) {
                    long s = e.getKey();
                    long end = s + e.getValue()[0];
                    if (s < iova + size && iova < end) {
                        if (s < iova || end > iova + size) {
                            expected = Errno.EINVAL;
                        }
                        victims.add(s);
                        removed += e.getValue()[0];
                    }
                }
                long[] got = new long[1];
                Errno err = errnoOf(() -> got[0] = c.unmapDma(0, iova, size, null).size());
                assertEquals(expected, err, "step " + step + " unmap " + iova + "+" + size);
                if (err == null) {
                    assertEquals(removed, got[0]);
                    victims.forEach(model::remove);
                }
            }
            List<Long> keys = new ArrayList<>(model.keySet());
            assertEquals(keys, iovas(c), "step " + step);
            for (int probe = 0; probe < 4; probe++) {
                long at = rnd.nextInt(72) * page + rnd.nextInt(4096);
                Map.Entry<Long, long[]> e = model.floorEntry(at);
                long want = e != null && at < e.getKey() + e.getValue()[0]
                        ? PA + (e.getValue()[1] - VA) + (at - e.getKey()) : -1;
                assertEquals(want, f.translate(0, at), "step " + step + " translate 0x" + Long.toHexString(at));
            }
        }
        c.close();
        assertEquals(0, f.regions.totalPins());
    }

    private static Errno errnoOf(Runnable r) {
        try {
            r.run();
            return null;
        } catch (IommuException e) {
            return e.errno();
        }
    }
}
