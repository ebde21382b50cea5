package io.nestor.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBackedRegionTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    @Test
    void aRegionLargerThanFourGibWorksPastTwoAndFourGib() throws Exception {
        SparsePhysicalMemory mem = new SparsePhysicalMemory(48);
        Path file = dir.resolve("guest-ram.img");
        long base = 0x10_0000_0000L;
        long size = 5 * GIB;
        FileBackedRegion region = mem.addFileRegion(base, file, 0, size);
        assertEquals(size, Files.size(file));
        long[] offsets = {0, 2 * GIB - 8, 2 * GIB + 0x1238, 4 * GIB + 0x40, size - 8};
        for (int i = 0; i < offsets.length; i++) {
            mem.write64(base + offsets[i], 0x1111_0000_0000_0000L + i);
        }
        // a write straddling the 1 GiB mapping chunk boundary at 3 GiB
        mem.write32(base + 3 * GIB - 2, 0xAABBCCDD);
        assertTrue(mem.compareAndSet64(base + 4 * GIB + 0x40, 0x1111_0000_0000_0003L, 77));
        region.force();
        for (int i = 0; i < offsets.length; i++) {
            long expected = i == 3 ? 77 : 0x1111_0000_0000_0000L + i;
            assertEquals(expected, mem.read64(base + offsets[i]));
        }
        assertEquals(0xAABBCCDD, mem.read32(base + 3 * GIB - 2));
        assertEquals(0, mem.read64(base + GIB)); // untouched file bytes read as zero
        assertEquals(0, mem.backedPageCount()); // nothing went to anonymous pages

        // The file itself holds the bytes, little-endian, as another process mapping it would see.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 2 * GIB + 0x1238);
            assertEquals(0x1111_0000_0000_0002L, b.flip().getLong());
            b.clear();
            ch.read(b, 4 * GIB + 0x40);
            assertEquals(77, b.flip().getLong());
            b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 3 * GIB - 2);
            assertEquals(0xAABBCCDD, b.flip().getInt());
        }
        mem.removeFileRegion(base);
        assertEquals(0, mem.read64(base + offsets[2]));
    }

    @Test
    void regionsMayNotOverlapRegionsOrWrittenMemory() {
        SparsePhysicalMemory mem = new SparsePhysicalMemory(40);
        mem.addFileRegion(0x10_0000, dir.resolve("a"), 0, 0x10_0000);
        IommuException e = assertThrows(IommuException.class,
                () -> mem.addFileRegion(0x1F_F000, dir.resolve("b"), 0, 0x2000));
        assertEquals(Errno.EBUSY, e.errno());
        mem.write8(0x40_0010, (byte) 1);
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class,
                () -> mem.addFileRegion(0x40_0000, dir.resolve("c"), 0, 0x1000)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> mem.addFileRegion(0x50_0800, dir.resolve("d"), 0, 0x1000)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> mem.addFileRegion((1L << 40) - 0x1000, dir.resolve("e"), 0, 0x2000)).errno());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> mem.removeFileRegion(0x1234000)).errno());
        assertEquals(1, mem.fileRegions().length);
    }

    @Test
    void aRegionShowsExistingFileContentAtAnOffset() throws Exception {
        Path file = dir.resolve("pre.img");
        ByteBuffer b = ByteBuffer.allocate(0x3000).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0x2008, 0xFEEDFACECAFEBEEFL);
        Files.write(file, b.array());
        SparsePhysicalMemory mem = new SparsePhysicalMemory(40);
        mem.addFileRegion(0x8000_0000L, file, 0x2000, 0x1000);
        assertEquals(0xFEEDFACECAFEBEEFL, mem.read64(0x8000_0008L));
        assertEquals(0, mem.read64(0x8000_1008L)); // past the region: anonymous memory
    }
}
