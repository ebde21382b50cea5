package io.nestor.core.memory;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Host physical memory: a sparse space of 4 KiB pages plus file-backed regions placed at fixed host
 * physical bases.
 *
 * <p><b>Sparseness.</b> A page gets storage on its first write; reads of a page never written return
 * zero and allocate nothing (see {@link #backedPageCount()}).
 *
 * <p><b>Atomicity.</b> Memory is held as little-endian 64-bit words. Aligned 64-bit loads are
 * acquire, stores are release and {@link #compareAndSet64} is a full CAS, so a concurrent reader
 * never sees a torn descriptor and a builder that fills a table before publishing its pointer with
 * one store is seen in that order. Narrower writes are CAS loops on their containing word, so they
 * never lose a concurrent write to a neighbouring byte. Accesses that straddle a word go byte by
 * byte and are not atomic, as on real buses.
 *
 * <p><b>Locking.</b> The read path takes no lock: the page directory is filled by CAS and the region
 * list is a copy-on-write array. Adding and removing regions is serialised on {@code this}; the caller
 * must not write to a range while a region is being placed over it.
 */
public final class SparsePhysicalMemory implements PhysicalMemory {
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    private static final int WORDS_PER_PAGE = (int) (PAGE_SIZE >>> 3);
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final FileBackedRegion[] NO_REGIONS = new FileBackedRegion[0];

    private final int addressBits;
    private final long limit;
    private final SparsePageDirectory pages;
    private volatile FileBackedRegion[] regions = NO_REGIONS;

    /**
     * @param addressBits implemented physical address bits, 20 to 56
     */
    public SparsePhysicalMemory(int addressBits) {
        if (addressBits < 20 || addressBits > 56) {
            throw IommuException.of(Errno.EINVAL, "address bits %d outside [20, 56]", addressBits);
        }
        this.addressBits = addressBits;
        this.limit = 1L << addressBits;
        this.pages = new SparsePageDirectory(addressBits - PAGE_SHIFT, WORDS_PER_PAGE);
    }

    @Override
    public int addressBits() {
        return addressBits;
    }

    /** Anonymous (not file-backed) pages that have storage: pages written at least once. */
    public long backedPageCount() {
        return pages.pageCount();
    }

    /**
     * Places {@code size} bytes of {@code file}, from {@code fileOffset}, at host physical
     * {@code base}. The file is created or grown sparsely as needed.
     *
     * @throws IommuException EINVAL for unaligned or empty values or a range beyond the address
     *     space, EBUSY when the range overlaps another region or memory already written
     */
    public synchronized FileBackedRegion addFileRegion(long base, Path file, long fileOffset, long size) {
        Objects.requireNonNull(file, "file");
        if (((base | fileOffset | size) & (PAGE_SIZE - 1)) != 0 || size <= 0 || base < 0 || fileOffset < 0) {
            throw IommuException.of(Errno.EINVAL,
                    "file region base 0x%x, offset 0x%x, size 0x%x: must be positive multiples of 0x%x",
                    base, fileOffset, size, PAGE_SIZE);
        }
        if (base + size > limit || base + size < base) {
            throw IommuException.of(Errno.EINVAL, "file region [0x%x, +0x%x) beyond %d address bits",
                    base, size, addressBits);
        }
        FileBackedRegion overlapped = regionOverlapping(base, size);
        if (overlapped != null) {
            throw IommuException.of(Errno.EBUSY, "file region [0x%x, +0x%x) overlaps %s", base, size, overlapped);
        }
        if (pages.anyIn(base >>> PAGE_SHIFT, (base + size - 1) >>> PAGE_SHIFT)) {
            throw IommuException.of(Errno.EBUSY, "file region [0x%x, +0x%x) overlaps written memory", base, size);
        }
        FileBackedRegion region = FileBackedRegion.map(base, file, fileOffset, size);
        FileBackedRegion[] next = Arrays.copyOf(regions, regions.length + 1);
        next[next.length - 1] = region;
        regions = next;
        return region;
    }

    /**
     * Removes the region placed at {@code base}; its range reads as zero afterwards.
     *
     * @throws IommuException ENOENT when no region starts at {@code base}
     */
    public synchronized void removeFileRegion(long base) {
        FileBackedRegion[] current = regions;
        for (int i = 0; i < current.length; i++) {
            if (current[i].base() == base) {
                FileBackedRegion[] next = new FileBackedRegion[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                regions = next;
                return;
            }
        }
        throw IommuException.of(Errno.ENOENT, "no file region at 0x%x", base);
    }

    /** The regions currently placed, in the order they were added. */
    public FileBackedRegion[] fileRegions() {
        return regions.clone();
    }

    // ---- word primitives: every access goes through these ------------------------------------

    private FileBackedRegion regionAt(long address) {
        for (FileBackedRegion r : regions) {
            if (r.contains(address)) {
                return r;
            }
        }
        return null;
    }

    private long loadWord(long aligned) {
        FileBackedRegion r = regionAt(aligned);
        if (r != null) {
            return r.loadWord(aligned - r.base());
        }
        long[] page = pages.find(aligned >>> PAGE_SHIFT);
        return page == null ? 0L : (long) LONGS.getAcquire(page, wordIndex(aligned));
    }

    private void storeWord(long aligned, long value) {
        FileBackedRegion r = regionAt(aligned);
        if (r != null) {
            r.storeWord(aligned - r.base(), value);
            return;
        }
        long[] page = pages.find(aligned >>> PAGE_SHIFT);
        if (page == null) {
            if (value == 0) {
                return; // an unbacked page already reads as zero: stay sparse
            }
            page = pages.findOrCreate(aligned >>> PAGE_SHIFT);
        }
        LONGS.setRelease(page, wordIndex(aligned), value);
    }

    private boolean casWord(long aligned, long expected, long value) {
        FileBackedRegion r = regionAt(aligned);
        if (r != null) {
            return r.casWord(aligned - r.base(), expected, value);
        }
        long[] page = expected == 0 ? pages.findOrCreate(aligned >>> PAGE_SHIFT) : pages.find(aligned >>> PAGE_SHIFT);
        if (page == null) {
            return false; // reads as zero, and the expected value is not zero
        }
        return LONGS.compareAndSet(page, wordIndex(aligned), expected, value);
    }

    private static int wordIndex(long address) {
        return (int) ((address & (PAGE_SIZE - 1)) >>> 3);
    }

    private void check(long address, long length) {
        if (address < 0 || length < 0 || address > limit - length) {
            throw IommuException.of(Errno.EFAULT, "physical address 0x%x (+%d bytes) beyond %d address bits",
                    address, length, addressBits);
        }
    }

    /** Little-endian read of {@code bytes} (1..8) bytes, as the low bits of the result. */
    private long readLe(long address, int bytes) {
        check(address, bytes);
        int shift = (int) (address & 7);
        if (shift + bytes <= 8) {
            long w = loadWord(address & ~7L) >>> (shift << 3);
            return bytes == 8 ? w : w & ((1L << (bytes << 3)) - 1);
        }
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v |= (readLe(address + i, 1) & 0xFF) << (i << 3);
        }
        return v;
    }

    /** Little-endian write of the low {@code bytes} (1..8) bytes of {@code value}. */
    private void writeLe(long address, int bytes, long value) {
        check(address, bytes);
        int shift = (int) (address & 7);
        if (bytes == 8 && shift == 0) {
            storeWord(address, value);
            return;
        }
        if (shift + bytes <= 8) {
            long aligned = address & ~7L;
            long mask = (bytes == 8 ? -1L : (1L << (bytes << 3)) - 1) << (shift << 3);
            long bits = (value << (shift << 3)) & mask;
            long old;
            do {
                old = loadWord(aligned);
            } while (!casWord(aligned, old, (old & ~mask) | bits));
            return;
        }
        for (int i = 0; i < bytes; i++) {
            writeLe(address + i, 1, value >>> (i << 3));
        }
    }

    // ---- PhysicalMemory ------------------------------------------------------------------------

    @Override
    public byte read8(long address) {
        return (byte) readLe(address, 1);
    }

    @Override
    public short read16(long address) {
        return (short) readLe(address, 2);
    }

    @Override
    public int read32(long address) {
        return (int) readLe(address, 4);
    }

    @Override
    public long read64(long address) {
        if ((address & 7) == 0 && address >= 0 && address < limit) {
            return loadWord(address); // the descriptor fast path
        }
        return readLe(address, 8);
    }

    @Override
    public void write8(long address, byte value) {
        writeLe(address, 1, value);
    }

    @Override
    public void write16(long address, short value) {
        writeLe(address, 2, value);
    }

    @Override
    public void write32(long address, int value) {
        writeLe(address, 4, value);
    }

    @Override
    public void write64(long address, long value) {
        if ((address & 7) == 0 && address >= 0 && address < limit) {
            storeWord(address, value); // the descriptor fast path
            return;
        }
        writeLe(address, 8, value);
    }

    @Override
    public boolean compareAndSet64(long address, long expected, long value) {
        check(address, 8);
        if ((address & 7) != 0) {
            throw IommuException.of(Errno.EINVAL, "compare-and-set at unaligned address 0x%x", address);
        }
        return casWord(address, expected, value);
    }

    @Override
    public void read(long address, byte[] dst, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        check(address, length);
        int i = 0;
        while (i < length && ((address + i) & 7) != 0) {
            dst[offset + i] = (byte) readLe(address + i, 1);
            i++;
        }
        for (; i + 8 <= length; i += 8) {
            long w = loadWord(address + i);
            for (int b = 0; b < 8; b++) {
                dst[offset + i + b] = (byte) (w >>> (b << 3));
            }
        }
        for (; i < length; i++) {
            dst[offset + i] = (byte) readLe(address + i, 1);
        }
    }

    @Override
    public void write(long address, byte[] src, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        check(address, length);
        int i = 0;
        while (i < length && ((address + i) & 7) != 0) {
            writeLe(address + i, 1, src[offset + i]);
            i++;
        }
        for (; i + 8 <= length; i += 8) {
            long w = 0;
            for (int b = 0; b < 8; b++) {
                w |= (src[offset + i + b] & 0xFFL) << (b << 3);
            }
            storeWord(address + i, w);
        }
        for (; i < length; i++) {
            writeLe(address + i, 1, src[offset + i]);
        }
    }

    // ---- bulk word access, for page-table builders and allocators -----------------------------

    /**
     * Stores {@code count} 64-bit words from {@code values[offset..]} at the consecutive aligned
     * addresses starting at {@code address}: the bulk form of {@link #write64}, with the same
     * guarantees per word (one release store each, in ascending address order, so a concurrent reader
     * never sees a torn word and a later release store that publishes the words is ordered after all of
     * them). The page lookup is done once per 4 KiB memory page instead of once per word, which is what
     * makes filling a page table cheap. Zero words for a page that has no storage allocate nothing.
     *
     * @throws IommuException EINVAL for an unaligned address, EFAULT beyond the address space (nothing
     *     is written then)
     */
    public void write64Run(long address, long[] values, int offset, int count) {
        Objects.checkFromIndexSize(offset, count, values.length);
        checkRun(address, count);
        if (regionOverlapping(address, (long) count << 3) != null) {
            for (int i = 0; i < count; i++) {
                storeWord(address + ((long) i << 3), values[offset + i]);
            }
            return;
        }
        while (count > 0) {
            int w = wordIndex(address);
            int n = Math.min(count, WORDS_PER_PAGE - w);
            long pageNumber = address >>> PAGE_SHIFT;
            long[] page = pages.find(pageNumber);
            if (page == null && !allZero(values, offset, n)) {
                page = pages.findOrCreate(pageNumber);
            }
            if (page != null) {
                for (int i = 0; i < n; i++) {
                    LONGS.setRelease(page, w + i, values[offset + i]);
                }
            }
            address += (long) n << 3;
            offset += n;
            count -= n;
        }
    }

    /**
     * Loads {@code count} 64-bit words from the consecutive aligned addresses starting at
     * {@code address} into {@code dst[offset..]}: the bulk form of {@link #read64} (one acquire load
     * per word, a page lookup per 4 KiB memory page).
     *
     * @throws IommuException EINVAL for an unaligned address, EFAULT beyond the address space
     */
    public void read64Run(long address, long[] dst, int offset, int count) {
        Objects.checkFromIndexSize(offset, count, dst.length);
        checkRun(address, count);
        if (regionOverlapping(address, (long) count << 3) != null) {
            for (int i = 0; i < count; i++) {
                dst[offset + i] = loadWord(address + ((long) i << 3));
            }
            return;
        }
        while (count > 0) {
            int w = wordIndex(address);
            int n = Math.min(count, WORDS_PER_PAGE - w);
            long[] page = pages.find(address >>> PAGE_SHIFT);
            if (page == null) {
                Arrays.fill(dst, offset, offset + n, 0L);
            } else {
                for (int i = 0; i < n; i++) {
                    dst[offset + i] = (long) LONGS.getAcquire(page, w + i);
                }
            }
            address += (long) n << 3;
            offset += n;
            count -= n;
        }
    }

    /**
     * Sets {@code length} bytes from {@code address} (both multiples of 8) to zero, one release store
     * per word; pages without storage are left without (they read as zero already).
     *
     * @throws IommuException EINVAL for an unaligned address or length, EFAULT beyond the address space
     */
    public void zero(long address, long length) {
        if ((length & 7) != 0 || length < 0) {
            throw IommuException.of(Errno.EINVAL, "zeroing 0x%x bytes at 0x%x: not a multiple of 8", length,
                    address);
        }
        checkRun(address, length >>> 3);
        if (regionOverlapping(address, length) != null) {
            for (long off = 0; off < length; off += 8) {
                storeWord(address + off, 0L);
            }
            return;
        }
        long end = address + length;
        while (address < end) {
            int w = wordIndex(address);
            int n = (int) Math.min((end - address) >>> 3, WORDS_PER_PAGE - w);
            long[] page = pages.find(address >>> PAGE_SHIFT);
            if (page != null) {
                for (int i = 0; i < n; i++) {
                    LONGS.setRelease(page, w + i, 0L);
                }
            }
            address += (long) n << 3;
        }
    }

    private void checkRun(long address, long words) {
        if ((address & 7) != 0) {
            throw IommuException.of(Errno.EINVAL, "64-bit run at unaligned address 0x%x", address);
        }
        check(address, words << 3);
    }

    /** A region overlapping {@code [address, address + length)}, or null. */
    private FileBackedRegion regionOverlapping(long address, long length) {
        for (FileBackedRegion r : regions) {
            if (address < r.base() + r.size() && r.base() < address + length) {
                return r;
            }
        }
        return null;
    }

    private static boolean allZero(long[] values, int offset, int count) {
        for (int i = 0; i < count; i++) {
            if (values[offset + i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "SparsePhysicalMemory[" + addressBits + " bits, " + backedPageCount() + " pages, "
                + regions.length + " file regions]";
    }
}
