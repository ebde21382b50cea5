package io.nestor.core.iommufd;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The IOVA space of one IOAS ({@code struct io_pagetable}, {@code io_pagetable.c}): its areas, its
 * reserved and allowed ranges, the paging domains it mirrors into, and its {@code iova_alignment}.
 *
 * <p>Invariants, true between any two calls:
 * <ul>
 *   <li>areas do not overlap each other nor any reserved range;</li>
 *   <li>no allowed range meets a reserved range;</li>
 *   <li>every attached domain maps exactly the areas, each as the area's pages say, and nothing
 *       else;</li>
 *   <li>{@code iova_alignment} is the largest of 1, the host page size when huge pages are
 *       disabled, and each domain's smallest page size; every area's IOVA, length and page offset
 *       are multiples of it.</li>
 * </ul>
 * Every mutator either takes full effect or, when it throws, changes nothing (domains, pins and
 * page counts included). One deliberate difference from the kernel: an UNMAP whose range cuts an
 * area fails with ENOENT before removing anything, where {@code iopt_unmap_iova_range} keeps the
 * areas it removed before reaching the cut one.
 *
 * <p>Thread-safe: every method synchronises on the table (the kernel's {@code iova_rwsem} and
 * {@code domains_rwsem} taken together).
 */
public final class IoPageTable {
    private final long pageSize;
    private final long hugePageSize;
    private final IoasAreaTree areas = new IoasAreaTree();
    private final ReservedIovas reserved = new ReservedIovas();
    private List<IovaRange> allowed = List.of();
    private final List<PagingDomain> domains = new ArrayList<>();
    private long iovaAlignment = 1;
    private boolean disableLargePages;

    IoPageTable(long pageSize, long hugePageSize) {
        this.pageSize = pageSize;
        this.hugePageSize = hugePageSize;
    }

    // ---- mapping -------------------------------------------------------------------------------

    /**
     * Maps {@code slices}, one area each, back to back from {@code iova} ({@code iopt_map_pages}).
     * The slices' pages are pinned here, after the IOVA checks; the caller keeps its own references.
     *
     * @param allocIova choose the IOVA ({@link IovaAllocator}) instead of using {@code iova}
     * @return the IOVA of the first area
     */
    synchronized long map(List<PagesSlice> slices, long length, long iova, int prot, boolean allocIova) {
        if (length == 0 || (length & (iovaAlignment - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "length 0x%x is not a non-zero multiple of the IOAS alignment 0x%x",
                    length, iovaAlignment);
        }
        if (allocIova) {
            iova = IovaAllocator.allocate(slices.get(0).sourceAddress(), length, iovaAlignment, pageSize,
                    hugePageSize, allowed, reserved, areas);
        } else {
            checkIova(iova, length);
        }
        List<IoasArea> made = new ArrayList<>(slices.size());
        long at = iova;
        for (PagesSlice s : slices) {
            made.add(makeArea(s, at, prot));
            at += s.length();
        }
        for (PagesSlice s : slices) {
            s.pages().pin(); // a failed pin leaves earlier pins to the pages' owners, released with them
        }
        fillAll(made);
        for (IoasArea a : made) {
            a.pages().get();
            areas.insert(a);
        }
        return iova;
    }

    /** {@code iopt_check_iova}: a caller-chosen range must be aligned, in range and free. */
    private void checkIova(long iova, long length) {
        if ((iova & (iovaAlignment - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "iova 0x%x is not aligned to 0x%x", iova, iovaAlignment);
        }
        if (Iova.addOverflows(iova, length - 1)) {
            throw IommuException.of(Errno.EOVERFLOW, "iova 0x%x + length 0x%x overflows", iova, length);
        }
        long last = iova + length - 1;
        if (reserved.intersects(iova, last)) {
            throw IommuException.of(Errno.EINVAL, "iova [0x%x, 0x%x] meets a reserved range", iova, last);
        }
        IoasArea hit = areas.first(iova, last);
        if (hit != null) {
            throw IommuException.of(Errno.EEXIST, "iova [0x%x, 0x%x] meets mapped %s", iova, last, hit);
        }
    }

    /** {@code iopt_insert_area}'s checks, without inserting. */
    private IoasArea makeArea(PagesSlice s, long iova, int prot) {
        if ((prot & io.nestor.api.pagetable.Permission.WRITE) != 0 && !s.pages().writable()) {
            throw IommuException.of(Errno.EPERM, "the source pages of iova 0x%x are not writable", iova);
        }
        long pageOffset = s.sourceAddress() & (pageSize - 1);
        if ((pageOffset & (iovaAlignment - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "page offset 0x%x of source 0x%x is not aligned to 0x%x",
                    pageOffset, s.sourceAddress(), iovaAlignment);
        }
        if (Iova.addOverflows(iova, s.length() - 1)) {
            throw IommuException.of(Errno.EOVERFLOW, "iova 0x%x + length 0x%x overflows", iova, s.length());
        }
        return new IoasArea(iova, iova + s.length() - 1, s.pages(), s.offset(), prot);
    }

    /** Fills every domain with every area, or undoes what it filled and rethrows. */
    private void fillAll(List<IoasArea> made) {
        List<Runnable> undo = new ArrayList<>();
        try {
            for (IoasArea a : made) {
                for (PagingDomain d : domains) {
                    DomainFill.fill(d, a, disableLargePages, pageSize);
                    undo.add(() -> DomainFill.unfill(d, a));
                }
            }
        } catch (RuntimeException e) {
            for (int i = undo.size() - 1; i >= 0; i--) {
                undo.get(i).run();
            }
            throw e;
        }
    }

    /**
     * The pages under {@code [iova, iova + length)}, one slice per area, each with a reference taken
     * ({@code iopt_get_pages}, COPY's source side). The range must be covered by areas that follow
     * each other without a gap.
     *
     * @throws IommuException EINVAL for length 0, EOVERFLOW when the range wraps, ENOENT when it is
     *     not fully covered
     */
    synchronized List<PagesSlice> getPages(long iova, long length) {
        if (length == 0) {
            throw IommuException.of(Errno.EINVAL, "copy length 0");
        }
        if (Iova.addOverflows(iova, length - 1)) {
            throw IommuException.of(Errno.EOVERFLOW, "src iova 0x%x + length 0x%x overflows", iova, length);
        }
        long last = iova + length - 1;
        List<PagesSlice> out = new ArrayList<>();
        long cursor = iova;
        IoasArea area = areas.containing(cursor);
        while (true) {
            if (area == null) {
                throw IommuException.of(Errno.ENOENT, "src iova 0x%x is not mapped", cursor);
            }
            long end = Iova.min(last, area.last());
            out.add(new PagesSlice(area.pages(), area.offset() + (cursor - area.iova()), end - cursor + 1));
            if (end == last) {
                break;
            }
            cursor = end + 1;
            area = areas.startingAt(cursor);
        }
        for (PagesSlice s : out) {
            s.pages().get();
        }
        return out;
    }

    // ---- unmapping -----------------------------------------------------------------------------

    /**
     * Removes every area inside {@code [iova, iova + length)} ({@code iopt_unmap_iova}).
     *
     * @return bytes unmapped
     * @throws IommuException EINVAL for length 0, EOVERFLOW when the range wraps, ENOENT when an area
     *     sticks out of the range or nothing is mapped in it; nothing is removed then
     */
    synchronized long unmap(long iova, long length) {
        if (length == 0) {
            throw IommuException.of(Errno.EINVAL, "unmap length 0");
        }
        if (Iova.addOverflows(iova, length - 1)) {
            throw IommuException.of(Errno.EOVERFLOW, "iova 0x%x + length 0x%x overflows", iova, length);
        }
        return unmapRange(iova, iova + length - 1);
    }

    /** Removes every area ({@code iopt_unmap_all}); an empty IOAS answers 0. */
    synchronized long unmapAll() {
        if (areas.isEmpty()) {
            return 0;
        }
        return unmapRange(0, Iova.ULONG_MAX);
    }

    private long unmapRange(long start, long last) {
        List<IoasArea> hit = areas.meeting(start, last);
        if (hit.isEmpty()) {
            throw IommuException.of(Errno.ENOENT, "nothing is mapped in [0x%x, 0x%x]", start, last);
        }
        for (IoasArea a : hit) {
            if (Iova.lt(a.iova(), start) || Iova.lt(last, a.last())) {
                throw IommuException.of(Errno.ENOENT, "[0x%x, 0x%x] would split %s", start, last, a);
            }
        }
        long bytes = 0;
        for (IoasArea a : hit) {
            for (PagingDomain d : domains) {
                DomainFill.unfill(d, a);
            }
            areas.remove(a);
            a.pages().put();
            bytes += a.length();
        }
        return bytes;
    }

    // ---- reserved and allowed ranges -----------------------------------------------------------

    /**
     * Reserves {@code [start, last]} for {@code owner} ({@code iopt_reserve_iova}).
     *
     * @throws IommuException EADDRINUSE when an area or an allowed range meets it
     */
    public synchronized void reserve(long start, long last, Object owner) {
        checkReservable(start, last);
        reserved.add(start, last, owner);
    }

    private void checkReservable(long start, long last) {
        if (areas.first(start, last) != null) {
            throw IommuException.of(Errno.EADDRINUSE, "[0x%x, 0x%x] meets mapped %s", start, last,
                    areas.first(start, last));
        }
        for (IovaRange a : allowed) {
            if (a.intersects(start, last)) {
                throw IommuException.of(Errno.EADDRINUSE, "[0x%x, 0x%x] meets allowed range %s", start, last, a);
            }
        }
    }

    /** Drops every range reserved for {@code owner} ({@code iopt_remove_reserved_iova}). */
    public synchronized void removeReserved(Object owner) {
        reserved.removeOwner(owner);
    }

    /**
     * Replaces the allowed ranges ({@code iopt_set_allow_iova}); the caller has validated their
     * shape.
     *
     * @throws IommuException EADDRINUSE when one meets a reserved range (the old list stays)
     */
    synchronized void setAllowed(List<IovaRange> ranges) {
        for (IovaRange r : ranges) {
            if (reserved.intersects(r.start(), r.last())) {
                throw IommuException.of(Errno.EADDRINUSE, "allowed range %s meets a reserved range", r);
            }
        }
        List<IovaRange> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparing(IovaRange::start, Long::compareUnsigned));
        allowed = List.copyOf(sorted);
    }

    /** IOVA_RANGES: the holes of the reserved ranges over {@code [0, ULONG_MAX]}. */
    synchronized List<IovaRange> usableRanges() {
        return reserved.holes(0, Iova.ULONG_MAX);
    }

    synchronized List<IovaRange> allowedRanges() {
        return allowed;
    }

    synchronized List<IovaRange> reservedRanges() {
        return reserved.ranges();
    }

    synchronized long iovaAlignment() {
        return iovaAlignment;
    }

    // ---- domains -------------------------------------------------------------------------------

    /**
     * Attaches a paging domain and fills it with every area ({@code iopt_table_add_domain}).
     *
     * @throws IommuException EEXIST when already attached; EINVAL when its smallest page is larger
     *     than a host page; EADDRINUSE when an area is not aligned to its smallest page or lies
     *     outside its aperture; the domain's errno (ENOMEM) when filling fails — nothing changed
     */
    public synchronized void addDomain(PagingDomain domain) {
        if (domains.contains(domain)) {
            throw IommuException.of(Errno.EEXIST, "%s is already attached", domain);
        }
        long newAlignment = Iova.max(Long.lowestOneBit(domain.pageSizes()), iovaAlignment);
        if (Iova.lt(pageSize, newAlignment)) {
            throw IommuException.of(Errno.EINVAL, "%s: smallest page 0x%x is larger than the host page 0x%x",
                    domain, Long.lowestOneBit(domain.pageSizes()), pageSize);
        }
        if (newAlignment != iovaAlignment) {
            checkAlignment(newAlignment);
        }
        IovaRange aperture = domain.aperture();
        try {
            if (aperture.start() != 0) {
                reserve(0, aperture.start() - 1, domain);
            }
            if (aperture.last() != Iova.ULONG_MAX) {
                reserve(aperture.last() + 1, Iova.ULONG_MAX, domain);
            }
            fillDomain(domain);
        } catch (RuntimeException e) {
            reserved.removeOwner(domain);
            throw e;
        }
        iovaAlignment = newAlignment;
        domains.add(domain);
    }

    private void fillDomain(PagingDomain domain) {
        List<IoasArea> done = new ArrayList<>();
        try {
            for (IoasArea a : areas.all()) {
                DomainFill.fill(domain, a, disableLargePages, pageSize);
                done.add(a);
            }
        } catch (RuntimeException e) {
            for (int i = done.size() - 1; i >= 0; i--) {
                DomainFill.unfill(domain, done.get(i));
            }
            throw e;
        }
    }

    /** {@code iopt_check_iova_alignment}: EADDRINUSE when an area does not fit a larger alignment. */
    private void checkAlignment(long alignment) {
        long mask = alignment - 1;
        for (IoasArea a : areas.all()) {
            if ((a.iova() & mask) != 0 || (a.length() & mask) != 0 || (a.pageOffset(pageSize) & mask) != 0) {
                throw IommuException.of(Errno.EADDRINUSE, "%s is not aligned to 0x%x", a, alignment);
            }
        }
    }

    /**
     * Detaches a paging domain and empties it of every area ({@code iopt_table_remove_domain}); the
     * alignment is recomputed from the domains left.
     */
    public synchronized void removeDomain(PagingDomain domain) {
        if (!domains.remove(domain)) {
            throw new IllegalStateException(domain + " is not attached");
        }
        for (IoasArea a : areas.all()) {
            DomainFill.unfill(domain, a);
        }
        reserved.removeOwner(domain);
        iovaAlignment = computeAlignment();
    }

    private long computeAlignment() {
        long alignment = disableLargePages ? pageSize : 1;
        for (PagingDomain d : domains) {
            alignment = Iova.max(alignment, Long.lowestOneBit(d.pageSizes()));
        }
        return alignment;
    }

    synchronized List<PagingDomain> domains() {
        return List.copyOf(domains);
    }

    // ---- huge pages ----------------------------------------------------------------------------

    synchronized boolean largePages() {
        return !disableLargePages;
    }

    /**
     * {@code iopt_disable_large_pages}: domains map host pages at most, and the alignment rises to
     * a host page.
     *
     * @throws IommuException EINVAL when domains are attached and areas mapped; EADDRINUSE when an
     *     area is not host-page aligned
     */
    synchronized void disableLargePages() {
        if (disableLargePages) {
            return;
        }
        if (!domains.isEmpty() && !areas.isEmpty()) {
            throw IommuException.of(Errno.EINVAL, "huge pages cannot be disabled while domains hold mappings");
        }
        disableLargePages = true;
        long alignment = computeAlignment();
        if (Iova.lt(iovaAlignment, alignment)) {
            try {
                checkAlignment(alignment);
            } catch (IommuException e) {
                disableLargePages = false;
                throw e;
            }
        }
        iovaAlignment = alignment;
    }

    /** {@code iopt_enable_large_pages}. */
    synchronized void enableLargePages() {
        disableLargePages = false;
        iovaAlignment = computeAlignment();
    }

    // ---- views for tests -----------------------------------------------------------------------

    /** The areas as ranges, by IOVA. */
    public synchronized List<IovaRange> areaRanges() {
        List<IovaRange> out = new ArrayList<>(areas.size());
        for (IoasArea a : areas.all()) {
            out.add(new IovaRange(a.iova(), a.last()));
        }
        return out;
    }

    /** The permission bits of the area starting at {@code iova}, or -1. */
    public synchronized int areaProt(long iova) {
        IoasArea a = areas.startingAt(iova);
        return a == null ? -1 : a.prot();
    }
}
