package io.nestor.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.pagetable.TableGeometry;
import io.nestor.core.session.MemoryRegion;
import io.nestor.core.session.RegionTable;
import io.nestor.core.testformat.TestPageTableFormat;
import io.nestor.core.walk.TranslationWalker;
import io.nestor.core.walk.WalkResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.function.Executable;

/**
 * A context over real parts: sparse host memory, a page allocator for domain tables, a region table
 * for session memory, and paging domains built by the core's builder over a test format. Helpers
 * snapshot everything a failed command must leave unchanged.
 */
final class IommufdFixture {
    static final int RW = IoasMapFlags.READABLE | IoasMapFlags.WRITEABLE;
    static final int RW_FIXED = RW | IoasMapFlags.FIXED_IOVA;
    static final long PT_WINDOW = 0x4000_0000L;

    final SparsePhysicalMemory memory = new SparsePhysicalMemory(48);
    final PageTableFormat format;
    final PageAllocator allocator;
    final RegionTable regions;
    final IommufdContext context;
    final TranslationWalker walker = new TranslationWalker(memory);

    IommufdFixture() {
        this(TestPageTableFormat.granule4k(), ContextOptions.defaults(), 0x100_0000L);
    }

    IommufdFixture(PageTableFormat format, ContextOptions options, long tableWindow) {
        this.format = format;
        this.allocator = new PageAllocator(memory, PT_WINDOW, tableWindow, format.granuleShift());
        this.regions = new RegionTable(options.pageSize());
        this.context = new IommufdContext(options, regions);
    }

    MemoryRegion region(long va, long size, long pa, boolean writable) {
        return regions.createRegion(va, size, pa, writable);
    }

    int ioas() {
        return context.ioas().alloc(0);
    }

    long map(int ioasId, int flags, long va, long length, long iova) {
        return context.ioas().map(new IoasMapCommand(flags, ioasId, 0, va, length, iova));
    }

    PageTablePagingDomain newDomain() {
        return new PageTablePagingDomain(new PageTableBuilder(format, allocator));
    }

    /** An HWPT_PAGING on {@code ioasId}; its domain is returned through {@link #domainOf}. */
    int hwpt(int ioasId) {
        return HwptPaging.allocate(context, ioasId, this::newDomain);
    }

    PageTablePagingDomain domainOf(int hwptId) {
        try (ObjectRef<HwptPaging> ref = context.objects().get(hwptId, ObjectType.HWPT_PAGING, HwptPaging.class)) {
            return (PageTablePagingDomain) ref.get().domain();
        }
    }

    IoPageTable table(int ioasId) {
        try (ObjectRef<Ioas> ref = context.objects().get(ioasId, ObjectType.IOAS, Ioas.class)) {
            return ref.get().pageTable();
        }
    }

    /** The physical address {@code iova} translates to through the domain, or -1. */
    long translate(PageTablePagingDomain domain, long iova) {
        WalkResult r = new WalkResult();
        PageTableBuilder b = domain.builder();
        TranslationConfig config = new TranslationConfig(TranslationMode.STAGE2, null,
                new StageConfig(b.format(), b.rootAddress(), false), 1, -1);
        return walker.translate(config, iova, Access.READ, r) ? r.outputAddress() : -1;
    }

    /** Every leaf of the domain's table: {iova, pa, size, descriptor} in IOVA order. */
    List<long[]> leaves(PageTablePagingDomain domain) {
        List<long[]> out = new ArrayList<>();
        PageTableBuilder b = domain.builder();
        collect(b.format(), b.rootAddress(), b.format().levels() - 1, 0, out);
        return out;
    }

    private void collect(PageTableFormat f, long table, int level, long base, List<long[]> out) {
        int entries = 1 << TableGeometry.indexBits(f, level);
        long size = TableGeometry.entrySize(f, level);
        for (int i = 0; i < entries; i++) {
            long d = memory.read64(table + ((long) i << 3));
            int kind = f.kind(d, level);
            long iova = base + i * size;
            if (kind == PageTableFormat.KIND_LEAF) {
                out.add(new long[] {iova, f.leafAddress(d, level), size, d});
            } else if (kind == PageTableFormat.KIND_TABLE) {
                collect(f, f.tableAddress(d, level), level - 1, iova, out);
            }
        }
    }

    /** Everything a failed command must leave as it was. */
    record Snapshot(List<List<IovaRange>> areas, List<List<String>> leaves, long livePages, long pins,
            List<Integer> objects) {
    }

    Snapshot snapshot(int[] ioasIds, PageTablePagingDomain... domains) {
        List<List<IovaRange>> areas = new ArrayList<>();
        for (int id : ioasIds) {
            areas.add(table(id).areaRanges());
        }
        List<List<String>> leaves = new ArrayList<>();
        for (PageTablePagingDomain d : domains) {
            List<String> l = new ArrayList<>();
            for (long[] e : leaves(d)) {
                l.add(Long.toHexString(e[0]) + "->" + Long.toHexString(e[1]) + "/" + Long.toHexString(e[2]) + ":"
                        + Long.toHexString(e[3]));
            }
            leaves.add(l);
        }
        List<Integer> objects = new ArrayList<>();
        for (IommufdObject o : context.objects().objects()) {
            objects.add(o.id());
        }
        return new Snapshot(areas, leaves, allocator.livePages(), regions.totalPins(), objects);
    }

    /** Asserts {@code call} fails with {@code errno} and leaves the snapshot unchanged. */
    IommuException assertFailsUnchanged(Errno errno, Executable call, int[] ioasIds,
            PageTablePagingDomain... domains) {
        Snapshot before = snapshot(ioasIds, domains);
        IommuException e = assertThrows(IommuException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertEquals(before, snapshot(ioasIds, domains), "state changed by a failed call: " + e.getMessage());
        return e;
    }

    static int[] ids(int... ids) {
        return Objects.requireNonNull(ids);
    }
}
