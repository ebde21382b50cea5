package io.nestor.core.iommufd;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.Permission;
import io.nestor.core.session.SessionMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * The IOAS ioctls of one context ({@code ioas.c}): argument checks in the kernel's order, the IOAS
 * lookup, then the {@link IoPageTable} operation.
 *
 * <p>Every command either takes full effect or throws an {@link IommuException} with nothing
 * changed: no area, no pin, no domain page, no object id.
 */
public final class IoasCommands {
    private final IommufdContext context;

    IoasCommands(IommufdContext context) {
        this.context = context;
    }

    /**
     * IOMMU_IOAS_ALLOC.
     *
     * @return {@code out_ioas_id}
     * @throws IommuException EOPNOTSUPP for any flag, EBUSY when ids run out
     */
    public int alloc(int flags) {
        if (flags != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "IOAS_ALLOC flags 0x%x", flags);
        }
        ObjectTable table = context.objects();
        Ioas ioas = new Ioas(context.options());
        table.reserve(ioas);
        table.publish(ioas);
        return ioas.id();
    }

    /**
     * IOMMU_IOAS_IOVA_RANGES: the IOVA ranges usable for mapping (the holes between reserved ranges,
     * which include what lies outside attached domains' apertures).
     *
     * @param capacity the caller's {@code num_iovas}: how many ranges its array holds
     * @throws IommuException EOPNOTSUPP for a non-zero {@code __reserved}, ENOENT for a bad IOAS
     */
    public IovaRangesReply iovaRanges(int ioasId, int capacity, int reserved) {
        if (reserved != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "IOVA_RANGES __reserved 0x%x", reserved);
        }
        try (ObjectRef<Ioas> ref = lookup(ioasId)) {
            IoPageTable iopt = ref.get().pageTable();
            synchronized (iopt) {
                List<IovaRange> all = iopt.usableRanges();
                int fit = (int) Math.min(all.size(), Integer.toUnsignedLong(capacity));
                return new IovaRangesReply(all.subList(0, fit), all.size(), iopt.iovaAlignment());
            }
        }
    }

    /**
     * IOMMU_IOAS_ALLOW_IOVAS: replaces the allowed ranges; an empty list clears them.
     *
     * @throws IommuException EOPNOTSUPP for a non-zero {@code __reserved}; ENOENT for a bad IOAS;
     *     EINVAL for a range with {@code start >= last} or one overlapping an earlier one; EADDRINUSE
     *     when one meets a reserved range (the old list stays)
     */
    public void allowIovas(int ioasId, List<IovaRange> ranges, int reserved) {
        if (reserved != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "ALLOW_IOVAS __reserved 0x%x", reserved);
        }
        try (ObjectRef<Ioas> ref = lookup(ioasId)) {
            List<IovaRange> loaded = new ArrayList<>(ranges.size());
            for (IovaRange r : ranges) {
                if (Iova.le(r.last(), r.start())) {
                    throw IommuException.of(Errno.EINVAL, "allowed range %s: start is not below last", r);
                }
                for (IovaRange earlier : loaded) {
                    if (earlier.intersects(r.start(), r.last())) {
                        throw IommuException.of(Errno.EINVAL, "allowed range %s overlaps %s", r, earlier);
                    }
                }
                loaded.add(r);
            }
            ref.get().pageTable().setAllowed(loaded);
        }
    }

    /**
     * IOMMU_IOAS_MAP.
     *
     * <p>The memory is pinned during every MAP, after the IOVA checks. The kernel pins at that point
     * only when a domain is attached and otherwise defers to the first attach (so a MAP of unmapped
     * memory into a domain-less IOAS succeeds there and the attach fails with EFAULT); here a region
     * is the unit of lifetime, so the pin, and its EFAULT, always come at MAP. A read-only region
     * mapped WRITEABLE answers EFAULT, as {@code pin_user_pages(FOLL_WRITE)} does; the EPERM of
     * {@code iopt_insert_area} can only arise for COPY.
     *
     * @return the IOVA mapped at (chosen unless FIXED_IOVA)
     * @throws IommuException in the kernel's order: EOPNOTSUPP (unknown flags, {@code __reserved});
     *     EOVERFLOW ({@code iova} or {@code length} is ULONG_MAX); EINVAL (neither READABLE nor
     *     WRITEABLE); ENOENT (IOAS); EOVERFLOW ({@code user_va + length} wraps); EINVAL (length 0 or
     *     unaligned); placement errors (EINVAL, EOVERFLOW, EEXIST, ENOSPC); EINVAL (page offset);
     *     EFAULT (memory not session memory, or read-only for WRITEABLE); ENOMEM (domain tables)
     */
    public long map(IoasMapCommand cmd) {
        if ((cmd.flags() & ~IoasMapFlags.ALL) != 0 || cmd.reserved() != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "IOAS_MAP flags 0x%x __reserved 0x%x", cmd.flags(),
                    cmd.reserved());
        }
        checkMapArguments(cmd.flags(), cmd.iova(), cmd.length());
        try (ObjectRef<Ioas> ref = lookup(cmd.ioasId())) {
            if (Iova.addOverflows(cmd.userVa(), cmd.length())) {
                throw IommuException.of(Errno.EOVERFLOW, "user_va 0x%x + length 0x%x overflows", cmd.userVa(),
                        cmd.length());
            }
            checkPagesLength(cmd.length());
            boolean write = (cmd.flags() & IoasMapFlags.WRITEABLE) != 0;
            SessionMemory memory = context.memory();
            PinnedPages pages = new PinnedPages(cmd.userVa(), cmd.length(), write,
                    () -> memory.pinVirtual(cmd.userVa(), cmd.length(), write));
            return mapPages(ref.get(), pages, cmd.flags(), cmd.length(), cmd.iova());
        }
    }

    /**
     * IOMMU_IOAS_MAP_FILE, over a memory region instead of a memfd.
     *
     * @throws IommuException as {@link #map}, then EINVAL (length 0), EOVERFLOW ({@code start +
     *     length - 1} wraps), EBADF (no such region), and at pin time EINVAL (beyond the region) or
     *     EPERM (WRITEABLE on a read-only region)
     */
    public long mapFile(IoasMapFileCommand cmd) {
        if ((cmd.flags() & ~IoasMapFlags.ALL) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "IOAS_MAP_FILE flags 0x%x", cmd.flags());
        }
        checkMapArguments(cmd.flags(), cmd.iova(), cmd.length());
        try (ObjectRef<Ioas> ref = lookup(cmd.ioasId())) {
            if (cmd.length() == 0) {
                throw IommuException.of(Errno.EINVAL, "MAP_FILE length 0");
            }
            if (Iova.addOverflows(cmd.start(), cmd.length() - 1)) {
                throw IommuException.of(Errno.EOVERFLOW, "start 0x%x + length 0x%x overflows", cmd.start(),
                        cmd.length());
            }
            SessionMemory memory = context.memory();
            if (!memory.hasRegion(cmd.regionId())) {
                throw IommuException.of(Errno.EBADF, "no memory region %d", cmd.regionId());
            }
            checkPagesLength(cmd.length());
            boolean write = (cmd.flags() & IoasMapFlags.WRITEABLE) != 0;
            PinnedPages pages = new PinnedPages(cmd.start(), cmd.length(), write,
                    () -> memory.pinRegion(cmd.regionId(), cmd.start(), cmd.length(), write));
            return mapPages(ref.get(), pages, cmd.flags(), cmd.length(), cmd.iova());
        }
    }

    /** The checks MAP and MAP_FILE make before the lookup (COPY checks three fields, then the same access). */
    private static void checkMapArguments(int flags, long iova, long length) {
        if (iova == Iova.ULONG_MAX || length == Iova.ULONG_MAX) {
            throw IommuException.of(Errno.EOVERFLOW, "iova 0x%x or length 0x%x is ULONG_MAX", iova, length);
        }
        checkReadOrWrite(flags);
    }

    private static void checkReadOrWrite(int flags) {
        if ((flags & (IoasMapFlags.READABLE | IoasMapFlags.WRITEABLE)) == 0) {
            throw IommuException.of(Errno.EINVAL, "flags 0x%x grant neither read nor write", flags);
        }
    }

    /** {@code iopt_alloc_pages}: the length must be non-zero and leave room to round up a page. */
    private void checkPagesLength(long length) {
        if (length == 0 || Iova.lt(Iova.ULONG_MAX - context.options().pageSize(), length)) {
            throw IommuException.of(Errno.EINVAL, "length 0x%x", length);
        }
    }

    private static long mapPages(Ioas ioas, PinnedPages pages, int flags, long length, long iova) {
        try {
            return ioas.pageTable().map(List.of(new PagesSlice(pages, 0, length)), length, iova, prot(flags),
                    (flags & IoasMapFlags.FIXED_IOVA) == 0);
        } finally {
            pages.put(); // the areas hold their own references; on failure this releases the pin
        }
    }

    private static int prot(int flags) {
        int prot = Permission.PRIV | Permission.USER;
        if ((flags & IoasMapFlags.READABLE) != 0) {
            prot |= Permission.READ;
        }
        if ((flags & IoasMapFlags.WRITEABLE) != 0) {
            prot |= Permission.WRITE;
        }
        return prot;
    }

    /**
     * IOMMU_IOAS_COPY: maps into {@code dstIoasId} the pages behind {@code [srcIova, +length)} of
     * {@code srcIoasId}, one new area per source area touched. Source and destination may be the
     * same IOAS.
     *
     * @return the destination IOVA
     * @throws IommuException EOPNOTSUPP (flags); EOVERFLOW (a field is ULONG_MAX); EINVAL (no R/W);
     *     ENOENT (source IOAS); EINVAL / EOVERFLOW / ENOENT (source range: empty, wrapping, not fully
     *     covered by contiguous areas); ENOENT (destination IOAS); MAP's placement errors; EPERM
     *     (WRITEABLE over pages mapped read-only)
     */
    public long copy(IoasCopyCommand cmd) {
        if ((cmd.flags() & ~IoasMapFlags.ALL) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "IOAS_COPY flags 0x%x", cmd.flags());
        }
        if (cmd.length() == Iova.ULONG_MAX || cmd.srcIova() == Iova.ULONG_MAX || cmd.dstIova() == Iova.ULONG_MAX) {
            throw IommuException.of(Errno.EOVERFLOW, "length 0x%x, src 0x%x or dst 0x%x is ULONG_MAX",
                    cmd.length(), cmd.srcIova(), cmd.dstIova());
        }
        checkReadOrWrite(cmd.flags());
        List<PagesSlice> slices;
        try (ObjectRef<Ioas> src = lookup(cmd.srcIoasId())) {
            slices = src.get().pageTable().getPages(cmd.srcIova(), cmd.length());
        }
        try (ObjectRef<Ioas> dst = lookup(cmd.dstIoasId())) {
            return dst.get().pageTable().map(slices, cmd.length(), cmd.dstIova(), prot(cmd.flags()),
                    (cmd.flags() & IoasMapFlags.FIXED_IOVA) == 0);
        } finally {
            for (PagesSlice s : slices) {
                s.pages().put();
            }
        }
    }

    /**
     * IOMMU_IOAS_UNMAP. {@code iova == 0 && length == U64_MAX} unmaps everything and succeeds on an
     * empty IOAS. A range that cuts an area fails before anything is removed (the kernel keeps the
     * areas it removed before reaching the cut one; the errno is the same).
     *
     * @return bytes unmapped (the {@code length} written back)
     * @throws IommuException ENOENT (IOAS); EOVERFLOW ({@code iova} or {@code length} is ULONG_MAX, or
     *     the range wraps); EINVAL (length 0); ENOENT (the range cuts an area, or maps nothing)
     */
    public long unmap(int ioasId, long iova, long length) {
        try (ObjectRef<Ioas> ref = lookup(ioasId)) {
            IoPageTable iopt = ref.get().pageTable();
            if (iova == 0 && length == Iova.ULONG_MAX) {
                return iopt.unmapAll();
            }
            if (iova == Iova.ULONG_MAX || length == Iova.ULONG_MAX) {
                throw IommuException.of(Errno.EOVERFLOW, "iova 0x%x or length 0x%x is ULONG_MAX", iova, length);
            }
            return iopt.unmap(iova, length);
        }
    }

    /** IOMMU_OPTION_HUGE_PAGES ({@code iommufd_ioas_option}). */
    long hugePages(OptionCommand cmd) {
        try (ObjectRef<Ioas> ref = lookup(cmd.objectId())) {
            IoPageTable iopt = ref.get().pageTable();
            if (cmd.op() == IommufdOption.OP_GET) {
                return iopt.largePages() ? 1 : 0;
            }
            if (cmd.op() == IommufdOption.OP_SET) {
                if (cmd.val64() == 0) {
                    iopt.disableLargePages();
                    return 0;
                }
                if (cmd.val64() == 1) {
                    iopt.enableLargePages();
                    return 1;
                }
                throw IommuException.of(Errno.EINVAL, "HUGE_PAGES value %d is neither 0 nor 1", cmd.val64());
            }
            throw IommuException.of(Errno.EOPNOTSUPP, "unknown option op %d", cmd.op());
        }
    }

    private ObjectRef<Ioas> lookup(int ioasId) {
        return context.objects().get(ioasId, ObjectType.IOAS, Ioas.class);
    }
}
