package io.nestor.core.iommufd;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Automatic IOVA placement for MAP and COPY without {@code IOMMU_IOAS_MAP_FIXED_IOVA}, after
 * {@code iopt_alloc_iova} ({@code io_pagetable.c}).
 *
 * <p>Rules, in order:
 * <ol>
 *   <li>{@code length == 0} or {@code length >= ULONG_MAX / 2}: EOVERFLOW (guards the rounding).</li>
 *   <li>Alignment: {@code roundup_pow_of_two(length)}, lowered to the alignment of the source
 *       address ({@code 1 << __ffs64(addr)}) when the address is not 0, so a huge page of the
 *       source can become a huge IOPTE; capped at {@code HPAGE_SIZE}. Below the IOAS's
 *       {@code iova_alignment}: EINVAL.</li>
 *   <li>First fit, lowest address first: inside each allowed range (everything when none is set),
 *       clipped to {@code [PAGE_SIZE, ULONG_MAX - PAGE_SIZE]} so 0 is never returned, a hole
 *       between reserved ranges and areas where {@code ALIGN(start, alignment) | page_offset}
 *       leaves room for the length. {@code page_offset} is the source address's offset in its page.</li>
 *   <li>No such hole: ENOSPC.</li>
 * </ol>
 */
final class IovaAllocator {
    private IovaAllocator() {
    }

    /**
     * @param sourceAddress the user VA or file offset of the first byte mapped
     * @param iovaAlignment the IOAS's current {@code iova_alignment}
     */
    static long allocate(long sourceAddress, long length, long iovaAlignment, long pageSize, long hugePageSize,
            List<IovaRange> allowed, ReservedIovas reserved, IoasAreaTree areas) {
        if (length == 0 || Iova.le(Iova.ULONG_MAX >>> 1, length)) {
            throw IommuException.of(Errno.EOVERFLOW, "length 0x%x cannot be allocated", length);
        }
        long alignment = Iova.roundUpPowerOfTwo(length);
        if (sourceAddress != 0) {
            alignment = Iova.min(alignment, Long.lowestOneBit(sourceAddress));
        }
        if (Iova.le(hugePageSize, alignment)) {
            alignment = hugePageSize;
        }
        if (Iova.lt(alignment, iovaAlignment)) {
            throw IommuException.of(Errno.EINVAL, "source 0x%x length 0x%x allows alignment 0x%x, below the "
                    + "IOAS alignment 0x%x", sourceAddress, length, alignment, iovaAlignment);
        }
        long pageOffset = sourceAddress & (pageSize - 1);
        long low = pageSize;
        long high = Iova.ULONG_MAX - pageSize;
        List<IovaRange> windows = new ArrayList<>();
        if (allowed.isEmpty()) {
            windows.add(new IovaRange(low, high));
        } else {
            for (IovaRange a : allowed) {
                if (a.intersects(low, high)) {
                    windows.add(new IovaRange(Iova.max(a.start(), low), Iova.min(a.last(), high)));
                }
            }
        }
        for (IovaRange window : windows) {
            long start = fit(window.start(), window.last(), length, alignment, pageOffset);
            if (start == -1L) {
                continue;
            }
            List<IovaRange> used = new ArrayList<>(reserved.ranges());
            for (IoasArea area : areas.meeting(start, window.last())) {
                used.add(new IovaRange(area.iova(), area.last()));
            }
            used.sort(Comparator.comparing(IovaRange::start, Long::compareUnsigned));
            for (IovaRange hole : Holes.of(used, start, window.last())) {
                long iova = fit(hole.start(), hole.last(), length, alignment, pageOffset);
                if (iova != -1L) {
                    return iova;
                }
            }
        }
        throw IommuException.of(Errno.ENOSPC, "no free IOVA range of 0x%x bytes aligned to 0x%x", length,
                alignment);
    }

    /**
     * {@code __alloc_iova_check_range}: the aligned start inside {@code [start, last]} that leaves
     * room for {@code length}, or -1 (never a valid answer: the window ends below ULONG_MAX).
     */
    private static long fit(long start, long last, long length, long alignment, long pageOffset) {
        if (Iova.addOverflows(start, alignment - 1)) {
            return -1L;
        }
        long aligned = ((start + alignment - 1) & -alignment) | pageOffset;
        if (Iova.le(last, aligned) || Iova.lt(last - aligned, length - 1)) {
            return -1L;
        }
        return aligned;
    }
}
