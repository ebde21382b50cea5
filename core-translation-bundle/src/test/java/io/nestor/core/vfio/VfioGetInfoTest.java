package io.nestor.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * GET_INFO as the kernel writes it: for every argsz from the header's minimum to past the full size,
 * the buffer is parsed back byte by byte; nothing is written past argsz and the chain is never
 * corrupt.
 */
class VfioGetInfoTest {
    private static final long PGSIZES = (1L << 12) | (1L << 21) | (1L << 30);
    private final VfioFixture f = new VfioFixture();

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void argszBelowTheHeaderIsEinval() {
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU);
        for (long argsz = 0; argsz < VfioIommuInfo.MIN_SIZE; argsz++) {
            long a = argsz;
            f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.getInfo(a));
        }
    }

    @Test
    void everyArgszOfATypeOneV2Container() {
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU);
        c.mapDma(VfioFixture.RW, VfioFixture.VA, 0x10_0000, 0x1000);
        int full = VfioIommuInfo.SIZE + 32 + 16 + 32;
        checkEveryArgsz(c, full, List.of(VfioIommuInfo.CAP_MIGRATION, VfioIommuInfo.CAP_DMA_AVAIL,
                VfioIommuInfo.CAP_IOVA_RANGE), 65534);
    }

    @Test
    void everyArgszOfANestingContainerWithTheNestingInfo() {
        VfioContainer c = f.container(0, VfioExtension.TYPE1_NESTING_IOMMU);
        int full = VfioIommuInfo.SIZE + 32 + 16 + 32 + 64;
        checkEveryArgsz(c, full, List.of(VfioIommuInfo.CAP_MIGRATION, VfioIommuInfo.CAP_DMA_AVAIL,
                VfioIommuInfo.CAP_IOVA_RANGE, VfioIommuInfo.CAP_NESTING), 65535);
    }

    @Test
    void dmaAvailCountsDownFromTheConfiguredLimit() {
        VfioContainer c = f.container(new VfioContainerOptions(3));
        c.setContainer(0);
        c.setIommu(VfioExtension.TYPE1V2_IOMMU);
        assertEquals(3, dmaAvail(c));
        c.mapDma(VfioFixture.RW, VfioFixture.VA, 0x10_0000, 0x1000);
        c.mapDma(VfioFixture.RW, VfioFixture.VA, 0x20_0000, 0x1000);
        assertEquals(1, dmaAvail(c));
        c.unmapDma(0, 0x10_0000, 0x1000, null);
        assertEquals(2, dmaAvail(c));
    }

    private static int dmaAvail(VfioContainer c) {
        byte[] b = c.getInfo(4096).buffer();
        int at = le(b).getInt(16);
        while (le(b).getShort(at) != VfioIommuInfo.CAP_DMA_AVAIL) {
            at = le(b).getInt(at + 4);
        }
        return le(b).getInt(at + 8);
    }

    private void checkEveryArgsz(VfioContainer c, int full, List<Integer> ids, int avail) {
        for (long argsz = VfioIommuInfo.MIN_SIZE; argsz <= full + 16; argsz++) {
            VfioIommuInfo info = c.getInfo(argsz);
            byte[] b = info.buffer();
            String at = "argsz " + argsz;
            assertEquals(Math.min(argsz, full), b.length, at + ": bytes written");
            ByteBuffer h = le(b);
            boolean fits = argsz >= full;
            assertEquals(fits ? argsz : full, Integer.toUnsignedLong(h.getInt(0)), at + ": argsz written back");
            assertEquals(fits ? argsz : full, info.argsz(), at);
            assertEquals(VfioIommuInfo.FLAG_PGSIZES | VfioIommuInfo.FLAG_CAPS, h.getInt(4), at + ": flags");
            assertEquals(PGSIZES, h.getLong(8), at + ": iova_pgsizes");
            if (argsz >= 20) {
                assertEquals(fits ? VfioIommuInfo.SIZE : 0, h.getInt(16), at + ": cap_offset");
            }
            assertEquals(fits ? VfioIommuInfo.SIZE : 0, info.capOffset(), at);
            for (int i = Math.min(b.length, VfioIommuInfo.SIZE); i < b.length; i++) {
                if (!fits) {
                    assertEquals(0, b[i], at + ": byte " + i + " written though the chain did not fit");
                }
            }
            if (fits) {
                checkChain(b, ids, avail, at);
            }
        }
    }

    private void checkChain(byte[] b, List<Integer> expectedIds, int avail, String at) {
        ByteBuffer h = le(b);
        List<Integer> ids = new ArrayList<>();
        int off = h.getInt(16);
        int previous = 0;
        while (off != 0) {
            assertTrue(off > previous && off % 8 == 0 && off + 8 <= b.length, at + ": cap at " + off);
            int id = h.getShort(off);
            assertEquals(1, h.getShort(off + 2), at + ": version");
            ids.add(id);
            switch (id) {
                case VfioIommuInfo.CAP_MIGRATION:
                    assertEquals(0, h.getInt(off + 8), at + ": migration flags");
                    assertEquals(4096, h.getLong(off + 16), at + ": migration pgsize_bitmap");
                    assertEquals(256L << 20, h.getLong(off + 24), at + ": max_dirty_bitmap_size");
                    break;
                case VfioIommuInfo.CAP_DMA_AVAIL:
                    assertEquals(avail, h.getInt(off + 8), at + ": avail");
                    break;
                case VfioIommuInfo.CAP_IOVA_RANGE:
                    assertEquals(1, h.getInt(off + 8), at + ": nr_iovas");
                    assertEquals(0, h.getInt(off + 12));
                    assertEquals(0, h.getLong(off + 16), at + ": start");
                    assertEquals((1L << 48) - 1, h.getLong(off + 24), at + ": end (inclusive)");
                    break;
                case VfioIommuInfo.CAP_NESTING:
                    int n = off + 8;
                    assertEquals(56, h.getInt(n), at + ": nesting argsz");
                    assertEquals(0, h.getInt(n + 4));
                    assertEquals(IommuNestingInfo.FORMAT_INTEL_VTD, h.getInt(n + 8));
                    assertEquals(IommuNestingInfo.FEAT_SYSWIDE_PASID | IommuNestingInfo.FEAT_BIND_PGTBL
                            | IommuNestingInfo.FEAT_CACHE_INVLD | IommuNestingInfo.FEAT_PAGE_RESP, h.getInt(n + 12));
                    assertEquals(48, h.getShort(n + 16), at + ": addr_width");
                    assertEquals(20, h.getShort(n + 18), at + ": pasid_bits");
                    for (int i = 20; i < 32; i++) {
                        assertEquals(0, b[n + i], at + ": padding");
                    }
                    assertEquals(NestingTestDriver.CAP, h.getLong(n + 32 + 8), at + ": cap_reg");
                    assertEquals(NestingTestDriver.ECAP, h.getLong(n + 32 + 16), at + ": ecap_reg");
                    break;
                default:
                    throw new AssertionError(at + ": unknown cap " + id);
            }
            previous = off;
            off = h.getInt(off + 4);
        }
        assertEquals(expectedIds, ids, at + ": chain order");
    }
}
