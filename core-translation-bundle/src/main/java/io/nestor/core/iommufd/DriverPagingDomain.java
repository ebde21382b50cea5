package io.nestor.core.iommufd;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.pagetable.TableGeometry;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.DriverLease;
import io.nestor.core.unit.IommuUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A paging domain a driver allocated ({@link DomainDescriptor}, with its root table from the unit's
 * structure pages) whose table the core builds: the tables below the root come from the core's
 * {@link PageAllocator} through a {@link PageTableBuilder#underRoot builder} in the driver's
 * {@link PageTableFormat}.
 *
 * <p><b>Flush before free.</b> Table pages the builder unlinks are only collected; after every
 * change that removed translations (an unmap, or the undo of a failed map) the domain asks the
 * driver to flush the range ({@code flushPagingRange}: the kernel's {@code iotlb_sync}) for its own
 * tag and the dependent tags (nested domains' DIDs, vIOMMUs' VMIDs built over it), and only then
 * frees the collected pages. When the driver cannot flush (EOPNOTSUPP, or no driver bound mid-swap,
 * or a queue error) the core invalidates the unit's caches itself with a stage-2 range scope per
 * tag, so an unmap never fails and no walker reads a reused page.
 *
 * <p>The format is the driver's object and is fetched again from the driver bound now whenever
 * the unit's driver changed (a hot swap), the table adopted under it; see {@link #enterForEdit}.
 *
 * <p>{@link #free()} empties the table, flushes the whole aperture, frees the collected pages and
 * then has the driver free the domain (root and tag).
 *
 * <p>Thread-safe: every method synchronises on the domain (one IOAS drives it; the dirty reader
 * may come from another thread).
 */
final class DriverPagingDomain implements PagingDomain {
    private static final System.Logger LOG = System.getLogger(DriverPagingDomain.class.getName());

    private final DriverRegistry registry;
    private final IommuUnit unit;
    private final DomainDescriptor descriptor;
    private final PageAllocator tables;
    private final long pageSizes;
    /** The format and builder in use, and the driver binding that supplied the format. */
    private PageTableFormat format;
    private PageTableBuilder builder;
    private DriverBinding formatSource;
    private final IovaRange aperture;
    private final Supplier<int[]> dependentTags;
    private final List<Long> retired = new ArrayList<>();
    private boolean freed;

    /**
     * Asks the unit's driver for the domain's format and starts an empty table under its root.
     *
     * @param dependentTags the tags of what is built over this domain, read at each flush
     * @throws IommuException the driver's {@code pagingFormat} errno, or as
     *     {@link PageTableBuilder#underRoot}
     */
    DriverPagingDomain(DriverRegistry registry, IommuUnit unit, DomainDescriptor descriptor, PageAllocator tables,
            Supplier<int[]> dependentTags) {
        this.registry = registry;
        this.unit = unit;
        this.descriptor = descriptor;
        this.tables = tables;
        this.dependentTags = dependentTags;
        this.pageSizes = unit.features().pageSizes();
        try (DriverLease lease = unit.enterDriver(registry.driverWaitMillis())) {
            this.format = lease.driver().pagingFormat(unit, descriptor);
            this.formatSource = lease.binding();
        }
        this.builder = PageTableBuilder.underRoot(format, tables, pageSizes, retired::add, descriptor.rootAddress());
        int bits = Math.min(descriptor.addressWidth(), format.inputAddressBits());
        this.aperture = new IovaRange(0, bits >= 64 ? Iova.ULONG_MAX : (1L << bits) - 1);
    }

    /**
     * Enters the unit's driver for a table edit: the format is a driver object, so the edit runs
     * inside the driver's lease (a hot swap drains it) and, when the bound driver changed since the
     * format was fetched, the new driver's format is fetched and the table adopted under it — the
     * departed bundle's classes are not run again (DESIGN: drivers' objects are dropped when they
     * leave). With no driver bound even after the registry's wait, a removal ({@code mustNotFail})
     * goes on with the format it has, since an unmap may not fail; anything else answers EAGAIN.
     *
     * @return the lease to close after the edit, or null when going on without a driver
     */
    private DriverLease enterForEdit(boolean mustNotFail) {
        DriverLease lease;
        try {
            lease = unit.enterDriver(registry.driverWaitMillis());
        } catch (IommuException e) {
            if (mustNotFail) {
                return null;
            }
            throw e;
        }
        try {
            if (lease.binding() != formatSource) {
                PageTableFormat f = lease.driver().pagingFormat(unit, descriptor);
                builder = PageTableBuilder.adoptRoot(f, tables, pageSizes, retired::add, descriptor.rootAddress());
                format = f;
                formatSource = lease.binding();
            }
        } catch (RuntimeException e) {
            lease.close();
            if (mustNotFail) {
                return null;
            }
            throw e;
        }
        return lease;
    }

    private static void exit(DriverLease lease) {
        if (lease != null) {
            lease.close();
        }
    }

    DomainDescriptor descriptor() {
        return descriptor;
    }

    IommuUnit unit() {
        return unit;
    }

    /** The builder in use, for tests and walks. */
    synchronized PageTableBuilder builder() {
        return builder;
    }

    @Override
    public synchronized long pageSizes() {
        return builder.pageSizes();
    }

    @Override
    public IovaRange aperture() {
        return aperture;
    }

    @Override
    public synchronized void map(long iova, long pa, long length, int prot) {
        DriverLease lease = enterForEdit(false);
        try {
            builder.map(iova, pa, length, prot);
        } finally {
            exit(lease);
            if (!retired.isEmpty()) {
                flushAndFree(iova, length); // the failed map's undo unlinked tables a walker may hold
            }
        }
    }

    @Override
    public synchronized long unmap(long iova, long length) {
        DriverLease lease = enterForEdit(true);
        long bytes;
        try {
            bytes = builder.unmap(iova, length);
        } finally {
            exit(lease);
        }
        flushAndFree(iova, length);
        return bytes;
    }

    @Override
    public synchronized void free() {
        if (freed) {
            return;
        }
        freed = true;
        DriverLease lease = enterForEdit(true);
        try {
            builder.destroy();
        } finally {
            exit(lease);
        }
        flushAndFree(aperture.start(), aperture.last() - aperture.start() + 1);
        UnitDriver.run(registry, unit, d -> d.freeDomain(unit, descriptor));
    }

    /** Flushes {@code [iova, iova + size)} everywhere the domain is cached, then frees retired tables. */
    synchronized void flushAndFree(long iova, long size) {
        flush(iova, size == 0 ? aperture.last() - iova + 1 : size);
        for (long page : retired) {
            tables.free(page);
        }
        retired.clear();
    }

    /**
     * Flushes a range (the driver's {@code flushPagingRange}, else the unit's caches directly).
     * Never fails: a translation cached past its unmap would be a use-after-free of the page.
     */
    synchronized void flush(long iova, long size) {
        int[] deps = dependents();
        try {
            UnitDriver.run(registry, unit, d -> d.flushPagingRange(unit, descriptor, iova, size, deps));
            return;
        } catch (IommuException e) {
            if (e.errno() != Errno.EOPNOTSUPP) {
                LOG.log(System.Logger.Level.WARNING, "{0}: driver flush of tag {1} failed ({2}); "
                        + "invalidating the unit's caches directly", unit.name(), descriptor.tag(), e.getMessage());
            }
        }
        unit.invalidate(new InvalidationScope.Stage2Range(unit.index(), descriptor.tag(), iova, size, false));
        for (int tag : deps) {
            unit.invalidate(new InvalidationScope.Stage2Range(unit.index(), tag, iova, size, false));
        }
    }

    /** The dependent tags, without this domain's own and without repeats. */
    private int[] dependents() {
        return java.util.Arrays.stream(dependentTags.get()).filter(t -> t != descriptor.tag()).distinct().toArray();
    }

    /**
     * Reads the dirty state of the leaves in {@code [iova, iova + length)} into {@code bitmap} (bit
     * n for {@code iova + n * pageSize}; a dirty leaf larger than a page sets every bit it covers)
     * and, with {@code clear}, cleans them and flushes the range so the hardware records the next
     * write again.
     */
    synchronized void readAndClearDirty(long iova, long length, long pageSize, boolean clear, long[] bitmap) {
        boolean[] changed = {false};
        DriverLease lease = enterForEdit(false);
        try {
            walkDirty(builder.rootAddress(), format.levels() - 1, 0, iova, iova + length - 1, pageSize, clear, bitmap,
                    changed);
        } finally {
            exit(lease);
        }
        if (changed[0]) {
            flush(iova, length);
        }
    }

    private void walkDirty(long table, int level, long base, long start, long last, long pageSize, boolean clear,
            long[] bitmap, boolean[] changed) {
        PhysicalMemory memory = unit.memory();
        long entry = TableGeometry.entrySize(format, level);
        int entries = 1 << TableGeometry.indexBits(format, level);
        for (int i = 0; i < entries; i++) {
            long from = base + i * entry;
            long to = from + entry - 1;
            if (Iova.lt(to, start) || Iova.lt(last, from)) {
                continue;
            }
            long desc = table + ((long) i << 3);
            long d = memory.read64(desc);
            int kind = format.kind(d, level);
            if (kind == PageTableFormat.KIND_TABLE) {
                walkDirty(format.tableAddress(d, level), level - 1, from, start, last, pageSize, clear, bitmap,
                        changed);
            } else if (kind == PageTableFormat.KIND_LEAF && format.dirty(d)) {
                long lo = Iova.max(from, start);
                long hi = Iova.min(to, last);
                for (long a = lo; Iova.le(a, hi) && Iova.le(lo, a); a += pageSize) {
                    long bit = (a - start) / pageSize;
                    bitmap[(int) (bit >>> 6)] |= 1L << (bit & 63);
                    if (Iova.lt(Iova.ULONG_MAX - pageSize, a)) {
                        break;
                    }
                }
                if (clear) {
                    memory.write64(desc, DirtyBits.clear(format, d));
                    changed[0] = true;
                }
            }
        }
    }

    @Override
    public String toString() {
        return String.format("DriverPagingDomain[%s tag %d root 0x%x %s]", unit.name(), descriptor.tag(),
                descriptor.rootAddress(), format.name());
    }
}
