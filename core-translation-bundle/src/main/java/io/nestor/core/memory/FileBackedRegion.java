package io.nestor.core.memory;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A range of host physical memory backed by a memory-mapped file, so that a local process (a VMM)
 * can map the same file and share guest RAM with the emulated IOMMU.
 *
 * <p>A {@link java.nio.ByteBuffer} holds at most 2 GiB, so the file is mapped in {@link #CHUNK_SIZE}
 * chunks; chunk boundaries are page aligned, so an 8-byte aligned word never straddles two chunks.
 * Words are little-endian. Aligned 64-bit accesses use acquire / release / CAS access modes of a
 * buffer-view {@link VarHandle}, which makes them single-copy atomic as the hardware's are.
 *
 * <p>Invariants: {@code base}, {@code size} and the file offset are multiples of
 * {@link SparsePhysicalMemory#PAGE_SIZE}; the region is immutable once built.
 */
public final class FileBackedRegion {
    /** Bytes per mapped chunk: 1 GiB, a multiple of every page size and below the 2 GiB limit. */
    static final int CHUNK_SHIFT = 30;
    static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;

    private static final VarHandle WORDS =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final long base;
    private final long size;
    private final Path file;
    private final MappedByteBuffer[] chunks;

    private FileBackedRegion(long base, long size, Path file, MappedByteBuffer[] chunks) {
        this.base = base;
        this.size = size;
        this.file = file;
        this.chunks = chunks;
    }

    /**
     * Maps {@code size} bytes of {@code file} from {@code fileOffset}, growing the file (sparsely)
     * when it is shorter. The channel is closed at once: the mappings stay valid on their own.
     */
    static FileBackedRegion map(long base, Path file, long fileOffset, long size) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            long needed = fileOffset + size;
            if (ch.size() < needed) {
                // Writing the last byte extends the file without allocating the blocks before it.
                ch.write(java.nio.ByteBuffer.allocate(1), needed - 1);
            }
            int count = (int) ((size + CHUNK_SIZE - 1) >>> CHUNK_SHIFT);
            MappedByteBuffer[] chunks = new MappedByteBuffer[count];
            for (int i = 0; i < count; i++) {
                long off = (long) i << CHUNK_SHIFT;
                long len = Math.min(CHUNK_SIZE, size - off);
                MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, fileOffset + off, len);
                b.order(ByteOrder.LITTLE_ENDIAN);
                chunks[i] = b;
            }
            return new FileBackedRegion(base, size, file, chunks);
        } catch (IOException e) {
            throw new IommuException(Errno.EIO, "cannot map " + file + " at offset 0x"
                    + Long.toHexString(fileOffset) + " size 0x" + Long.toHexString(size) + ": " + e.getMessage(), e);
        }
    }

    /** The host physical address of the region's first byte. */
    public long base() {
        return base;
    }

    /** The region's length in bytes. */
    public long size() {
        return size;
    }

    /** The file that backs the region. */
    public Path file() {
        return file;
    }

    /** Whether {@code address} (host physical) lies inside the region. */
    boolean contains(long address) {
        long off = address - base;
        return off >= 0 && off < size;
    }

    long loadWord(long offset) {
        return (long) WORDS.getAcquire(chunks[(int) (offset >>> CHUNK_SHIFT)], (int) (offset & (CHUNK_SIZE - 1)));
    }

    void storeWord(long offset, long value) {
        WORDS.setRelease(chunks[(int) (offset >>> CHUNK_SHIFT)], (int) (offset & (CHUNK_SIZE - 1)), value);
    }

    boolean casWord(long offset, long expected, long value) {
        return WORDS.compareAndSet(chunks[(int) (offset >>> CHUNK_SHIFT)], (int) (offset & (CHUNK_SIZE - 1)),
                expected, value);
    }

    /** Forces written pages out to the file, for a reader that uses plain file I/O rather than a mapping. */
    public void force() {
        for (MappedByteBuffer b : chunks) {
            b.force();
        }
    }

    @Override
    public String toString() {
        return String.format("file region [0x%x, 0x%x) <- %s", base, base + size, file);
    }
}
