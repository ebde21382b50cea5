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
    private final PageTableFormat format;
    private final PageAllocator tables;
    private final PageTableBuilder builder;
    private final IovaRange aperture;
    private final Supplier<int[]> dependentTags;
    private final List<Long> retired = new ArrayList<>();
    private boolean freed;

    /**
     * @param dependentTags the tags of what is built over this domain, read at each flush
     * @throws IommuException as {@link PageTableBuilder#underRoot}
     */
    DriverPagingDomain(DriverRegistry registry, IommuUnit unit, DomainDescriptor descriptor, PageTableFormat format,
            PageAllocator tables, Supplier<int[]> dependentTags) {
        this.registry = registry;
        this.unit = unit;
        this.descriptor = descriptor;
        this.format = format;
        this.tables = tables;
        this.dependentTags = dependentTags;
        this.builder = PageTableBuilder.underRoot(format, tables, unit.features().pageSizes(), retired::add,
                descriptor.rootAddress());
        int bits = Math.min(descriptor.addressWidth(), format.inputAddressBits());
        this.aperture = new IovaRange(0, bits >= 64 ? Iova.ULONG_MAX : (1L << bits) - 1);
    }

    DomainDescriptor descriptor() {
        return descriptor;
    }

    IommuUnit unit() {
        return unit;
    }

    PageTableFormat format() {
        return format;
    }

    /** The builder, for tests and walks. */
    PageTableBuilder builder() {
        return builder;
    }

    @Override
    public long pageSizes() {
        return builder.pageSizes();
    }

    @Override
    public IovaRange aperture() {
        return aperture;
    }

    @Override
    public synchronized void map(long iova, long pa, long length, int prot) {
        try {
            builder.map(iova, pa, length, prot);
        } finally {
            if (!retired.isEmpty()) {
                flushAndFree(iova, length); // the failed map's undo unlinked tables a walker may hold
            }
        }
    }

    @Override
    public synchronized long unmap(long iova, long length) {
        long bytes = builder.unmap(iova, length);
        flushAndFree(iova, length);
        return bytes;
    }

    @Override
    public synchronized void free() {
        if (freed) {
            return;
        }
        freed = true;
        builder.destroy();
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
        walkDirty(builder.rootAddress(), format.levels() - 1, 0, iova, iova + length - 1, pageSize, clear, bitmap,
                changed);
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
