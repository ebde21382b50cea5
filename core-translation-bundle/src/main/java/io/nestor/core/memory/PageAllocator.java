package io.nestor.core.memory;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import java.util.BitSet;

/**
 * Hands out granule-sized, granule-aligned, zeroed pages of host physical memory from a reserved
 * window, for page tables that the host builds.
 *
 * <p>Freed pages go on a LIFO free list and are reused first; fresh pages come from a bump pointer.
 * Every page is zeroed when handed out, so a table never starts with stale descriptors. A bitmap of
 * the pages currently out lets {@link #free} reject double frees and foreign addresses, and
 * {@link #livePages()} shows leaks in tests.
 *
 * <p>Thread-safe; all methods synchronise on the allocator (not on the translation hot path:
 * only builders allocate).
 */
public final class PageAllocator {
    private static final byte[] ZEROES = new byte[1 << 16];

    private final PhysicalMemory memory;
    private final long base;
    private final long size;
    private final int granuleShift;
    private final long granule;
    private final BitSet live;
    private long[] freeList = new long[64];
    private int freeCount;
    private long bump;
    private long liveCount;

    /**
     * @param memory the memory the pages live in
     * @param base first byte of the reserved window, granule aligned
     * @param size window length, a positive multiple of the granule
     * @param granuleShift log2 of the page size handed out, 12 to 16
     */
    public PageAllocator(PhysicalMemory memory, long base, long size, int granuleShift) {
        if (granuleShift < 12 || granuleShift > 16) {
            throw IommuException.of(Errno.EINVAL, "granule shift %d outside [12, 16]", granuleShift);
        }
        long g = 1L << granuleShift;
        if (((base | size) & (g - 1)) != 0 || size <= 0 || base < 0) {
            throw IommuException.of(Errno.EINVAL, "window base 0x%x size 0x%x not positive multiples of 0x%x",
                    base, size, g);
        }
        if (memory.addressBits() < 63 && base + size > (1L << memory.addressBits())) {
            throw IommuException.of(Errno.EINVAL, "window [0x%x, +0x%x) beyond %d address bits", base, size,
                    memory.addressBits());
        }
        if ((size >>> granuleShift) > Integer.MAX_VALUE) {
            throw IommuException.of(Errno.EINVAL, "window size 0x%x holds too many pages", size);
        }
        this.memory = memory;
        this.base = base;
        this.size = size;
        this.granuleShift = granuleShift;
        this.granule = g;
        this.live = new BitSet((int) (size >>> granuleShift));
    }

    public PhysicalMemory memory() {
        return memory;
    }

    public int granuleShift() {
        return granuleShift;
    }

    /**
     * A zeroed page.
     *
     * @throws IommuException ENOMEM when the window is exhausted
     */
    public synchronized long allocate() {
        long page;
        if (freeCount > 0) {
            page = freeList[--freeCount];
        } else if (bump < size) {
            page = base + bump;
            bump += granule;
        } else {
            throw IommuException.of(Errno.ENOMEM, "page-table window [0x%x, +0x%x) exhausted (%d pages live)",
                    base, size, liveCount);
        }
        return handOut(page);
    }

    /**
     * {@code count} zeroed, physically contiguous pages aligned to their total size (concatenated root
     * tables need that), a power of two.
     *
     * @throws IommuException EINVAL for a count that is not a power of two, ENOMEM when exhausted
     */
    public synchronized long allocateContiguous(int count) {
        if (count == 1) {
            return allocate();
        }
        if (count <= 0 || Integer.bitCount(count) != 1) {
            throw IommuException.of(Errno.EINVAL, "contiguous page count %d is not a power of two", count);
        }
        long span = granule * count;
        long start = ((base + bump + span - 1) & -span) - base;
        if (start + span > size) {
            throw IommuException.of(Errno.ENOMEM, "no %d contiguous pages left in window [0x%x, +0x%x)", count,
                    base, size);
        }
        // Pages skipped for alignment are not lost: they go on the free list.
        for (long p = bump; p < start; p += granule) {
            pushFree(base + p);
        }
        bump = start + span;
        for (int i = 0; i < count; i++) {
            handOut(base + start + i * granule);
        }
        return base + start;
    }

    private long handOut(long page) {
        live.set(pageIndex(page));
        liveCount++;
        if (memory instanceof SparsePhysicalMemory) {
            ((SparsePhysicalMemory) memory).zero(page, granule); // word stores, one page lookup per 4 KiB
        } else {
            for (long off = 0; off < granule; off += ZEROES.length) {
                memory.write(page + off, ZEROES, 0, (int) Math.min(ZEROES.length, granule - off));
            }
        }
        return page;
    }

    /**
     * Returns a page to the window.
     *
     * @throws IommuException EINVAL when {@code page} is not a page this allocator handed out and
     *     that is still live
     */
    public synchronized void free(long page) {
        if (!isLive(page)) {
            throw IommuException.of(Errno.EINVAL, "page 0x%x is not a live page of window [0x%x, +0x%x)", page,
                    base, size);
        }
        live.clear(pageIndex(page));
        liveCount--;
        pushFree(page);
    }

    private void pushFree(long page) {
        if (freeCount == freeList.length) {
            freeList = java.util.Arrays.copyOf(freeList, freeCount * 2);
        }
        freeList[freeCount++] = page;
    }

    /** Pages handed out and not yet freed. */
    public synchronized long livePages() {
        return liveCount;
    }

    /** Whether {@code page} is currently handed out by this allocator. */
    public synchronized boolean isLive(long page) {
        return page >= base && page - base < size && (page & (granule - 1)) == 0 && live.get(pageIndex(page));
    }

    private int pageIndex(long page) {
        return (int) ((page - base) >>> granuleShift);
    }

    @Override
    public synchronized String toString() {
        return String.format("PageAllocator[window 0x%x+0x%x, granule 0x%x, %d live]", base, size, granule,
                liveCount);
    }
}
