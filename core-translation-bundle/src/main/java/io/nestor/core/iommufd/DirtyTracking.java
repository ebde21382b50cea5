package io.nestor.core.iommufd;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;

/**
 * IOMMU_HWPT_SET_DIRTY_TRACKING and IOMMU_HWPT_GET_DIRTY_BITMAP ({@code hw_pagetable.c},
 * {@code io_pagetable.c}) over the second stage's hardware dirty bits
 * ({@link io.nestor.api.pagetable.PageTableFormat#dirty}).
 *
 * <p>SET: unknown flags → EOPNOTSUPP; not an HWPT_PAGING → ENOENT; a domain without dirty ops (not
 * allocated with DIRTY_TRACKING) → EOPNOTSUPP. Enabling clears every dirty bit of the mapped areas
 * first (a clean snapshot) and flushes; enabling or disabling twice is a no-op. The hardware marks
 * leaves dirty whenever the domain's format has A/D in use, so "enabled" is the core's state only.
 *
 * <p>GET: unknown flags or {@code __reserved} → EOPNOTSUPP; not an HWPT_PAGING → ENOENT;
 * {@code iova + length - 1} wraps → EOVERFLOW; {@code iova} or the end not aligned to the IOAS's
 * {@code iova_alignment} → EINVAL; {@code page_size} 0 (or not a power of two) → EINVAL;
 * {@code iova} or the end not aligned to it → EINVAL; no dirty ops → EOPNOTSUPP; an unmapped hole
 * in the range → EINVAL (kernel-uapi §1.2.14). Bit n of the bitmap is {@code iova + n * page_size}; a dirty leaf larger than a page
 * sets every bit it covers. Without NO_CLEAR the bits read are cleared and the range flushed, so
 * the next write is recorded again.
 */
public final class DirtyTracking {
    public static final int ENABLE = 1;
    public static final int NO_CLEAR = 1;
    private final IommufdContext context;

    DirtyTracking(IommufdContext context) {
        this.context = context;
    }

    public void setDirtyTracking(int hwptId, int flags) {
        if ((flags & ~ENABLE) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "SET_DIRTY_TRACKING flags 0x%x", flags);
        }
        try (ObjectRef<HwptPaging> ref = context.objects().get(hwptId, ObjectType.HWPT_PAGING, HwptPaging.class)) {
            HwptPaging h = ref.get();
            DriverPagingDomain domain = dirtyDomain(h);
            boolean enable = (flags & ENABLE) != 0;
            IoPageTable iopt = h.ioas().pageTable();
            synchronized (iopt) {
                if (h.dirtyTracking() == enable) {
                    return;
                }
                if (enable) {
                    for (IovaRange a : iopt.areaRanges()) {
                        long len = a.last() - a.start() + 1;
                        domain.readAndClearDirty(a.start(), len, len, true, new long[1]);
                    }
                }
                h.setDirtyTracking(enable);
            }
        }
    }

    /**
     * @return the bitmap, {@code ceil(length / page_size / 64)} words
     */
    public long[] getDirtyBitmap(int hwptId, int flags, int reserved, long iova, long length, long pageSize) {
        if ((flags & ~NO_CLEAR) != 0 || reserved != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "GET_DIRTY_BITMAP flags 0x%x __reserved 0x%x", flags, reserved);
        }
        try (ObjectRef<HwptPaging> ref = context.objects().get(hwptId, ObjectType.HWPT_PAGING, HwptPaging.class)) {
            HwptPaging h = ref.get();
            IoPageTable iopt = h.ioas().pageTable();
            synchronized (iopt) {
                checkRange(iopt, iova, length, pageSize); // the kernel checks the range before the dirty ops
                DriverPagingDomain domain = dirtyDomain(h);
                checkCovered(iopt, iova, length);
                long bits = Long.divideUnsigned(length, pageSize);
                if (bits > (long) Integer.MAX_VALUE * 64) {
                    throw IommuException.of(Errno.EINVAL, "bitmap of %d bits is too large", bits);
                }
                long[] bitmap = new long[(int) ((bits + 63) >>> 6)];
                domain.readAndClearDirty(iova, length, pageSize, (flags & NO_CLEAR) == 0, bitmap);
                return bitmap;
            }
        }
    }

    private static DriverPagingDomain dirtyDomain(HwptPaging h) {
        if (!h.dirtyCapable()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s was not allocated with DIRTY_TRACKING", h);
        }
        return (DriverPagingDomain) h.domain();
    }

    /** {@code iommufd_check_iova_range}. */
    private static void checkRange(IoPageTable iopt, long iova, long length, long pageSize) {
        if (Iova.addOverflows(iova, length - 1)) {
            throw IommuException.of(Errno.EOVERFLOW, "iova 0x%x + length 0x%x - 1 overflows", iova, length);
        }
        long end = iova + length; // last + 1, may wrap to 0 at the top of the space
        long align = iopt.iovaAlignment();
        if ((iova & (align - 1)) != 0 || (end & (align - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "iova 0x%x / end 0x%x not aligned to the IOAS alignment 0x%x", iova,
                    end, align);
        }
        if (pageSize == 0 || Long.bitCount(pageSize) != 1) {
            throw IommuException.of(Errno.EINVAL, "page_size 0x%x is not a power of two", pageSize);
        }
        if ((iova & (pageSize - 1)) != 0 || (end & (pageSize - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "iova 0x%x / end 0x%x not aligned to page_size 0x%x", iova, end,
                    pageSize);
        }
    }

    /** {@code iopt_read_and_clear_dirty_data}: every byte of the range must be mapped. */
    private static void checkCovered(IoPageTable iopt, long iova, long length) {
        long cursor = iova;
        long last = iova + length - 1;
        for (IovaRange a : iopt.areaRanges()) {
            if (Iova.lt(a.last(), cursor)) {
                continue;
            }
            if (Iova.lt(cursor, a.start())) {
                break;
            }
            if (!Iova.lt(a.last(), last)) {
                return;
            }
            cursor = a.last() + 1;
        }
        throw IommuException.of(Errno.EINVAL, "iova 0x%x is not mapped inside [0x%x, 0x%x]", cursor, iova, last);
    }
}
