package io.nestor.core.pagetable;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * Builds and edits one host-owned page table (a stage-2 / second-stage table, or a stage-1 table the
 * host owns) in host physical memory, for any {@link PageTableFormat}.
 *
 * <p><b>Page sizes.</b> {@link #map} uses, at each point, the largest leaf that the format allows
 * ({@link PageTableFormat#leafAllowed}), that the caller's page-size bitmap allows (like the kernel's
 * {@code pgsize_bitmap}) and that the alignment of both addresses and the remaining length allow.
 *
 * <p><b>Concurrent walkers.</b> Every descriptor change is one aligned 64-bit store (release), so a
 * walker racing with the builder sees the old or the new descriptor, never a torn one. A new table is
 * filled completely before the one store that links it in, so no walker sees a half-built subtree.
 * Splitting a block publishes a table of equivalent smaller leaves in place of the block, so the
 * translation does not change while it happens. Tables are freed only after the descriptor that
 * pointed at them has been cleared, and go to a <em>retire</em> callback rather than straight back to
 * the allocator when the caller asks for it: like the kernel's IOTLB gather freelist, a caller that
 * lets walkers race the builder frees retired tables only after invalidating what walkers and TLBs
 * may still hold, so that a walker holding a stale table pointer never reads a reused page.
 *
 * <p><b>Errors.</b> {@link #map} either maps the whole range or, on error, leaves the translation
 * exactly as it was (what it had mapped is unmapped again). {@link #unmap} first splits the blocks at
 * the edges of the range, which does not change any translation, and only then removes entries, an
 * allocation-free step; so it too fails without an observable change.
 *
 * <p>One writer at a time: mutators synchronise on the builder. Walkers take no lock.
 */
public final class PageTableBuilder {
    private final PageTableFormat format;
    private final PhysicalMemory memory;
    /** {@link #memory} when it offers bulk descriptor runs, else null. */
    private final SparsePhysicalMemory sparse;
    /** Descriptors per bulk read / write in {@link #writeLeaves}. */
    private static final int RUN = 512;
    /** Scratch for {@link #writeLeaves}; mutators hold the builder's lock, so one buffer suffices. */
    private final long[] runBuffer = new long[RUN];
    /** Per-level scratch for reading tables in runs; see {@link #levelBuffer}. */
    private final long[][] levelBuffers;
    private final PageAllocator allocator;
    private final LongConsumer retire;
    private final int top;
    private final int leafLevels;
    private final long root;
    /** Whether the root belongs to someone else (a driver's domain): never freed by this builder. */
    private final boolean externalRoot;
    /** Bytes mapped so far by the running {@link #map}, so that a failure can be undone exactly. */
    private long progress;
    private boolean destroyed;

    /** A builder that may use every leaf size the format allows. */
    public PageTableBuilder(PageTableFormat format, PageAllocator allocator) {
        this(format, allocator, -1L);
    }

    /**
     * @param format the format of the table
     * @param allocator where tables come from; its granule must be the format's
     * @param pageSizes bitmap of allowed leaf sizes (bit n allows 2^n bytes); must allow the granule
     * @throws IommuException EINVAL for a mismatched granule, a non-power-of-two root count or a
     *     bitmap without the granule; ENOMEM when the root cannot be allocated
     */
    public PageTableBuilder(PageTableFormat format, PageAllocator allocator, long pageSizes) {
        this(format, allocator, pageSizes, null);
    }

    /**
     * @param retire receives each table page unlinked from the tree (a walker may still hold it);
     *     null frees them to the allocator at once. Pages never published are freed directly.
     */
    public PageTableBuilder(PageTableFormat format, PageAllocator allocator, long pageSizes, LongConsumer retire) {
        this(format, allocator, pageSizes, retire, -1L);
    }

    /**
     * A builder under a root table someone else allocated and frees (a driver's paging domain,
     * whose {@code DomainDescriptor.rootAddress} comes from the unit's structure pages). Tables
     * below the root come from {@code allocator}. The root must be zeroed, granule aligned and hold
     * the format's {@link PageTableFormat#rootTableCount()} tables; {@link #destroy()} empties it
     * (every descriptor cleared) but never hands it to the allocator or the retire callback.
     *
     * @throws IommuException EINVAL for an unaligned root or a root that is not empty, and as the
     *     other constructors
     */
    public static PageTableBuilder underRoot(PageTableFormat format, PageAllocator allocator, long pageSizes,
            LongConsumer retire, long root) {
        checkExternalRootAligned(format, root);
        return new PageTableBuilder(format, allocator, pageSizes, retire, root);
    }

    /**
     * A builder that takes over an existing table under an external root: the same tree, now
     * edited through {@code format} — an equivalent format object, for example one a newly bound
     * driver version supplied after a hot swap, so the old driver's classes are no longer run.
     * The builder that edited the table before must not be used again. The root is not checked
     * for emptiness (it holds the tree); otherwise as {@link #underRoot}.
     */
    public static PageTableBuilder adoptRoot(PageTableFormat format, PageAllocator allocator, long pageSizes,
            LongConsumer retire, long root) {
        checkExternalRootAligned(format, root);
        return new PageTableBuilder(format, allocator, pageSizes, retire, root, false);
    }

    private static void checkExternalRootAligned(PageTableFormat format, long root) {
        long g = 1L << format.granuleShift();
        if (root < 0 || (root & (g - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "external root 0x%x is not aligned to the granule 0x%x of %s",
                    root, g, format.name());
        }
    }

    private PageTableBuilder(PageTableFormat format, PageAllocator allocator, long pageSizes, LongConsumer retire,
            long givenRoot) {
        this(format, allocator, pageSizes, retire, givenRoot, true);
    }

    private PageTableBuilder(PageTableFormat format, PageAllocator allocator, long pageSizes, LongConsumer retire,
            long givenRoot, boolean requireEmptyRoot) {
        this.format = Objects.requireNonNull(format, "format");
        this.retire = retire != null ? retire : allocator::free;
        this.allocator = allocator;
        this.memory = allocator.memory();
        this.sparse = memory instanceof SparsePhysicalMemory ? (SparsePhysicalMemory) memory : null;
        if (allocator.granuleShift() != format.granuleShift()) {
            throw IommuException.of(Errno.EINVAL, "allocator granule 2^%d does not match format %s granule 2^%d",
                    allocator.granuleShift(), format.name(), format.granuleShift());
        }
        int count = format.rootTableCount();
        if (count <= 0 || Integer.bitCount(count) != 1) {
            throw IommuException.of(Errno.EINVAL, "format %s root table count %d is not a power of two",
                    format.name(), count);
        }
        this.top = format.levels() - 1;
        this.levelBuffers = new long[format.levels()][];
        int mask = 0;
        for (int level = 0; level <= top; level++) {
            if (format.kind(0L, level) != PageTableFormat.KIND_INVALID) {
                throw IommuException.of(Errno.EINVAL, "format %s: a zero descriptor is not invalid at level %d",
                        format.name(), level);
            }
            if (format.leafAllowed(level) && ((pageSizes >>> format.levelShift(level)) & 1) != 0) {
                mask |= 1 << level;
            }
        }
        if ((mask & 1) == 0) {
            throw IommuException.of(Errno.EINVAL, "page sizes 0x%x do not include the granule 0x%x of %s",
                    pageSizes, 1L << format.granuleShift(), format.name());
        }
        this.leafLevels = mask;
        this.externalRoot = givenRoot >= 0;
        if (externalRoot) {
            if (requireEmptyRoot) {
                checkEmptyRoot(givenRoot, count);
            }
            this.root = givenRoot;
        } else {
            this.root = allocator.allocateContiguous(count);
        }
    }

    /** An external root must start empty: a stale descriptor would be a table nobody owns. */
    private void checkEmptyRoot(long givenRoot, int count) {
        long bytes = (long) count << format.granuleShift();
        for (long off = 0; off < bytes; off += 8) {
            if (memory.read64(givenRoot + off) != 0) {
                throw IommuException.of(Errno.EINVAL, "external root 0x%x is not empty at offset 0x%x", givenRoot,
                        off);
            }
        }
    }

    /** Whether the root table is owned by someone else and never freed here. */
    public boolean hasExternalRoot() {
        return externalRoot;
    }

    public PageTableFormat format() {
        return format;
    }

    /** Host physical address of the root table (the first one, when roots are concatenated). */
    public long rootAddress() {
        return root;
    }

    /** The leaf sizes this builder may use, as a bitmap of sizes (bit n = 2^n bytes). */
    public long pageSizes() {
        long sizes = 0;
        for (int level = 0; level <= top; level++) {
            if ((leafLevels >>> level & 1) != 0) {
                sizes |= 1L << format.levelShift(level);
            }
        }
        return sizes;
    }

    // ---- map -----------------------------------------------------------------------------------

    /**
     * Maps {@code [iova, iova + size)} to {@code [pa, pa + size)} with {@link Permission} bits.
     *
     * @throws IommuException EINVAL for unaligned or empty ranges or bad permission bits, ERANGE for
     *     addresses beyond the format's input or output width, EEXIST when part of the range is
     *     already mapped, ENOMEM when tables run out; on any error nothing changed
     */
    public synchronized void map(long iova, long pa, long size, int permissions) {
        checkLive();
        long g = 1L << format.granuleShift();
        if (((iova | pa | size) & (g - 1)) != 0 || size <= 0) {
            throw IommuException.of(Errno.EINVAL, "map iova 0x%x pa 0x%x size 0x%x: not aligned to granule 0x%x",
                    iova, pa, size, g);
        }
        if ((permissions & ~Permission.ALL) != 0 || (permissions & (Permission.READ | Permission.WRITE)) == 0) {
            throw IommuException.of(Errno.EINVAL, "map iova 0x%x: permissions 0x%x grant neither read nor write",
                    iova, permissions);
        }
        checkInputRange(iova, size);
        int oas = format.outputAddressBits();
        if (pa < 0 || pa + size < pa || (oas < 64 && ((pa + size - 1) >>> oas) != 0)) {
            throw IommuException.of(Errno.ERANGE, "map pa 0x%x size 0x%x beyond %d output address bits", pa, size,
                    oas);
        }
        progress = 0;
        try {
            mapLevel(root, top, iova, pa, size, permissions, false);
        } catch (IommuException e) {
            if (progress > 0) {
                unmapLevel(root, top, iova, progress);
            }
            throw e;
        }
    }

    private void checkInputRange(long iova, long size) {
        long last = iova + size - 1;
        if (iova < 0 || last < iova || !format.inputAddressValid(iova) || !format.inputAddressValid(last)
                || (format.inputAddressBits() < 64 && (last >>> format.inputAddressBits()) != 0)) {
            throw IommuException.of(Errno.ERANGE, "iova 0x%x size 0x%x beyond %d input address bits of %s", iova,
                    size, format.inputAddressBits(), format.name());
        }
    }

    /**
     * Maps a range lying inside the coverage of {@code table} at {@code level}. {@code fresh} says the
     * table was just allocated (all entries invalid), which spares reading each entry first.
     */
    private void mapLevel(long table, int level, long iova, long pa, long size, int perms, boolean fresh) {
        int shift = format.levelShift(level);
        long entry = 1L << shift;
        int entries = 1 << TableGeometry.indexBits(format, level);
        int idx = TableGeometry.index(format, level, iova);
        long end = iova + size;
        boolean leafOk = (leafLevels >>> level & 1) != 0;
        while (iova < end) {
            long desc = table + ((long) idx << 3);
            if (leafOk && ((iova | pa) & (entry - 1)) == 0 && end - iova >= entry) {
                // The bulk path: a run of same-size leaves in this table, one store each.
                int n = (int) Math.min((end - iova) >>> shift, entries - idx);
                writeLeaves(desc, level, iova, pa, n, perms, fresh);
                iova += (long) n << shift;
                pa += (long) n << shift;
                idx += n;
                continue;
            }
            long chunk = Math.min(end - iova, entry - (iova & (entry - 1)));
            long d = fresh ? 0L : memory.read64(desc);
            int kind = format.kind(d, level);
            if (kind == PageTableFormat.KIND_LEAF) {
                throw IommuException.of(Errno.EEXIST, "iova 0x%x is already mapped by a 0x%x-byte leaf", iova, entry);
            } else if (kind == PageTableFormat.KIND_TABLE) {
                mapLevel(format.tableAddress(d, level), level - 1, iova, pa, chunk, perms, false);
            } else {
                long child = allocator.allocate();
                long before = progress;
                try {
                    mapLevel(child, level - 1, iova, pa, chunk, perms, true);
                } catch (IommuException e) {
                    if (progress == before) {
                        allocator.free(child); // nothing in it: its own empty children were freed already
                    } else {
                        memory.write64(desc, format.encodeTable(child, level)); // so the undo finds it
                    }
                    throw e;
                }
                // Publish only now: the subtree is complete.
                memory.write64(desc, format.encodeTable(child, level));
            }
            iova += chunk;
            pa += chunk;
            idx++;
        }
    }

    /**
     * Writes {@code n} consecutive leaves at level {@code level} from descriptor address {@code desc},
     * mapping {@code iova} to {@code pa} onwards, in chunks of {@link #RUN} words: each chunk is first
     * read and checked to be all invalid (unless the table is {@code fresh}), then encoded into a
     * buffer and stored with one bulk call, each descriptor still one aligned 64-bit store. On EEXIST
     * the chunk holding the mapped entry is left untouched, and {@link #progress} counts exactly the
     * leaves written before it, so the caller's undo removes exactly those.
     */
    private void writeLeaves(long desc, int level, long iova, long pa, int n, int perms, boolean fresh) {
        long entry = 1L << format.levelShift(level);
        if (n == 1) {
            // A single leaf (the common one-page map): plain descriptor access, no run set-up.
            if (!fresh && format.kind(memory.read64(desc), level) != PageTableFormat.KIND_INVALID) {
                throw IommuException.of(Errno.EEXIST, "iova 0x%x is already mapped", iova);
            }
            memory.write64(desc, format.encodeLeaf(pa, level, perms));
            progress += entry;
            return;
        }
        long[] buf = runBuffer;
        while (n > 0) {
            int c = Math.min(n, RUN);
            if (!fresh) {
                readRun(desc, buf, c);
                for (int k = 0; k < c; k++) {
                    if (format.kind(buf[k], level) != PageTableFormat.KIND_INVALID) {
                        throw IommuException.of(Errno.EEXIST, "iova 0x%x is already mapped", iova + k * entry);
                    }
                }
            }
            for (int k = 0; k < c; k++) {
                buf[k] = format.encodeLeaf(pa + k * entry, level, perms);
            }
            writeRun(desc, buf, c);
            long bytes = c * entry;
            desc += (long) c << 3;
            iova += bytes;
            pa += bytes;
            progress += bytes;
            n -= c;
        }
    }

    /** {@code count} descriptors from {@code desc} into {@code buf[0..]}: bulk when the memory allows. */
    private void readRun(long desc, long[] buf, int count) {
        if (sparse != null) {
            sparse.read64Run(desc, buf, 0, count);
            return;
        }
        for (int k = 0; k < count; k++) {
            buf[k] = memory.read64(desc + ((long) k << 3));
        }
    }

    /** Stores {@code buf[0..count)} from {@code desc}, one aligned 64-bit store per descriptor. */
    private void writeRun(long desc, long[] buf, int count) {
        if (sparse != null) {
            sparse.write64Run(desc, buf, 0, count);
            return;
        }
        for (int k = 0; k < count; k++) {
            memory.write64(desc + ((long) k << 3), buf[k]);
        }
    }

    // ---- unmap ---------------------------------------------------------------------------------

    /**
     * Removes every mapping inside {@code [iova, iova + size)}, splitting blocks that straddle its
     * edges and freeing tables that become empty.
     *
     * @return the number of bytes that were mapped in the range and are now unmapped
     * @throws IommuException EINVAL for an unaligned or empty range, ERANGE beyond the input width,
     *     ENOMEM when a block cannot be split; on error no translation changed
     */
    public synchronized long unmap(long iova, long size) {
        checkLive();
        long g = 1L << format.granuleShift();
        if (((iova | size) & (g - 1)) != 0 || size <= 0) {
            throw IommuException.of(Errno.EINVAL, "unmap iova 0x%x size 0x%x: not aligned to granule 0x%x", iova,
                    size, g);
        }
        checkInputRange(iova, size);
        splitAt(iova);
        splitAt(iova + size);
        return unmapLevel(root, top, iova, size);
    }

    /** Splits the leaves that cover {@code edge} until one ends there; translations stay the same. */
    private void splitAt(long edge) {
        if (!format.inputAddressValid(edge)) {
            return; // the end of the input space: nothing straddles it
        }
        long table = root;
        for (int level = top; level > 0; level--) {
            long desc = table + ((long) TableGeometry.index(format, level, edge) << 3);
            long d = memory.read64(desc);
            int kind = format.kind(d, level);
            if (kind == PageTableFormat.KIND_TABLE) {
                table = format.tableAddress(d, level);
            } else if (kind == PageTableFormat.KIND_LEAF && (edge & (TableGeometry.entrySize(format, level) - 1)) != 0) {
                long child = allocator.allocate();
                try {
                    fillWithBlock(child, level - 1, format.leafAddress(d, level), d, level);
                } catch (IommuException e) {
                    freeChildren(child, level - 1, allocator::free);
                    allocator.free(child);
                    throw e;
                }
                memory.write64(desc, format.encodeTable(child, level));
                table = child;
            } else {
                return;
            }
        }
    }

    /**
     * Fills a fresh table at {@code level} with leaves equivalent to the block {@code block} at
     * {@code blockLevel} whose output starts at {@code pa}: same permissions, same accessed / dirty.
     */
    private void fillWithBlock(long table, int level, long pa, long block, int blockLevel) {
        int perms = format.permissions(block, blockLevel);
        long entry = TableGeometry.entrySize(format, level);
        int entries = 1 << format.indexBits(level);
        for (int i = 0; i < entries; i++) {
            long out = pa + i * entry;
            long d;
            if (format.leafAllowed(level)) {
                d = format.encodeLeaf(out, level, perms);
                if (format.accessed(block)) {
                    d = format.withAccessed(d);
                }
                if (format.dirty(block)) {
                    d = format.withDirty(d);
                }
            } else {
                long child = allocator.allocate();
                memory.write64(table + ((long) i << 3), format.encodeTable(child, level)); // table unpublished
                fillWithBlock(child, level - 1, out, block, blockLevel);
                continue;
            }
            memory.write64(table + ((long) i << 3), d);
        }
    }

    /** Clears entries in range; never allocates (edges were split before). Returns bytes unmapped. */
    private long unmapLevel(long table, int level, long iova, long size) {
        int shift = format.levelShift(level);
        long entry = 1L << shift;
        int idx = TableGeometry.index(format, level, iova);
        long end = iova + size;
        long unmapped = 0;
        while (iova < end) {
            long desc = table + ((long) idx << 3);
            long chunk = Math.min(end - iova, entry - (iova & (entry - 1)));
            long d = memory.read64(desc);
            int kind = format.kind(d, level);
            if (kind == PageTableFormat.KIND_LEAF) {
                if (chunk != entry) {
                    throw new IllegalStateException("leaf at level " + level + " straddles an unmap edge at 0x"
                            + Long.toHexString(iova));
                }
                memory.write64(desc, 0L);
                unmapped += entry;
            } else if (kind == PageTableFormat.KIND_TABLE) {
                long child = format.tableAddress(d, level);
                if (chunk == entry) {
                    memory.write64(desc, 0L); // unlink first, then free what hung below
                    unmapped += freeChildren(child, level - 1, retire);
                    retire.accept(child);
                } else {
                    unmapped += unmapLevel(child, level - 1, iova, chunk);
                    if (isEmpty(child, level - 1)) {
                        memory.write64(desc, 0L);
                        retire.accept(child);
                    }
                }
            }
            iova += chunk;
            idx++;
        }
        return unmapped;
    }

    private boolean isEmpty(long table, int level) {
        int entries = 1 << format.indexBits(level);
        long[] buf = levelBuffer(level);
        for (int i = 0; i < entries; i += RUN) {
            int c = Math.min(RUN, entries - i);
            readRun(table + ((long) i << 3), buf, c);
            for (int k = 0; k < c; k++) {
                if (format.kind(buf[k], level) != PageTableFormat.KIND_INVALID) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Scratch for reading a table at {@code level} in runs: one per level, because
     * {@link #freeChildren} recurses while it holds a chunk of its own level.
     */
    private long[] levelBuffer(int level) {
        long[] buf = levelBuffers[level];
        if (buf == null) {
            buf = new long[RUN];
            levelBuffers[level] = buf;
        }
        return buf;
    }

    /** Frees every table below {@code table} (not {@code table} itself); returns the leaf bytes seen. */
    private long freeChildren(long table, int level, LongConsumer free) {
        int entries = 1 << TableGeometry.indexBits(format, level);
        long entry = TableGeometry.entrySize(format, level);
        long bytes = 0;
        long[] buf = levelBuffer(level);
        for (int i = 0; i < entries; i += RUN) {
            int c = Math.min(RUN, entries - i);
            readRun(table + ((long) i << 3), buf, c);
            for (int k = 0; k < c; k++) {
                long d = buf[k];
                int kind = format.kind(d, level);
                if (kind == PageTableFormat.KIND_LEAF) {
                    bytes += entry;
                } else if (kind == PageTableFormat.KIND_TABLE) {
                    long child = format.tableAddress(d, level);
                    bytes += freeChildren(child, level - 1, free); // uses the buffer of level - 1
                    free.accept(child);
                }
            }
        }
        return bytes;
    }

    // ---- lifetime ------------------------------------------------------------------------------

    /**
     * Frees (retires) every table, the root included unless it is external; an external root is
     * left empty (every descriptor cleared, after which its old subtrees are retired). The builder
     * is unusable afterwards.
     *
     * @return bytes that were still mapped
     */
    public synchronized long destroy() {
        checkLive();
        destroyed = true;
        if (externalRoot) {
            return emptyExternalRoot();
        }
        long g = 1L << format.granuleShift();
        long bytes = freeChildren(root, top, retire);
        for (int i = 0; i < format.rootTableCount(); i++) {
            retire.accept(root + i * g);
        }
        return bytes;
    }

    /** Unlinks each root descriptor, then retires what hung below it: walkers never see a freed table. */
    private long emptyExternalRoot() {
        long bytes = 0;
        long entry = TableGeometry.entrySize(format, top);
        long words = ((long) format.rootTableCount() << format.granuleShift()) >>> 3;
        for (long i = 0; i < words; i++) {
            long desc = root + (i << 3);
            long d = memory.read64(desc);
            int kind = format.kind(d, top);
            if (kind == PageTableFormat.KIND_INVALID) {
                continue;
            }
            memory.write64(desc, 0L);
            if (kind == PageTableFormat.KIND_LEAF) {
                bytes += entry;
            } else {
                long child = format.tableAddress(d, top);
                bytes += freeChildren(child, top - 1, retire);
                retire.accept(child);
            }
        }
        return bytes;
    }

    private void checkLive() {
        if (destroyed) {
            throw IommuException.of(Errno.ENOENT, "page table at 0x%x was destroyed", root);
        }
    }

    @Override
    public String toString() {
        return String.format("PageTableBuilder[%s root 0x%x]", format.name(), root);
    }
}
