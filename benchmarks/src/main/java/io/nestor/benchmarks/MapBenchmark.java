package io.nestor.benchmarks;

import io.nestor.api.pagetable.Permission;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.pagetable.PageTableBuilder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link PageTableBuilder#map} on a 4 KiB, 4-level table ({@link BenchPageTableFormat}; the builder
 * is format-generic, so only the geometry matters for cost) in a
 * {@link SparsePhysicalMemory}, one thread, no concurrent walker.
 *
 * <p><b>What is timed.</b> Only the map calls. Each benchmark's mapping is removed again by an
 * {@code @Setup(Level.Invocation)} unmap, which JMH does not time; an invocation lasts microseconds
 * (2 MiB pages: ~1 GiB of mapping; 4 KiB: 2048 pages; single: 256 calls), so the two timestamps JMH
 * takes around it are a small share. Because the unmap frees the leaf table and the next map
 * allocates it again, every invocation includes allocating and zeroing the leaf table(s) it needs (a
 * reused page, from the allocator's free list), as a real first map of a range would. The upper
 * tables stay: a pinned mapping elsewhere under the same level-2 / level-1 table keeps them.
 *
 * <ul>
 *   <li>{@link #map1GiBWith2MiBPages}: one call mapping 1 GiB, aligned, with 4 KiB and 2 MiB leaves
 *       allowed: 512 2 MiB leaves in one new level-1 table. Per operation = per call.</li>
 *   <li>{@link #bulkMap4KiB}: one call mapping 8 MiB with only 4 KiB leaves allowed: 2048 leaves in
 *       four new leaf tables. Reported per 4 KiB page ({@code @OperationsPerInvocation}).</li>
 *   <li>{@link #map1GiBWith2MiBPagesThenUnmap}: the same map followed by the unmap of the same
 *       range, both timed, with no per-invocation set-up: a cross-check of the first figure that
 *       does not depend on JMH's per-invocation timestamps, and the cost of the whole cycle.</li>
 *   <li>{@link #singleMap4KiB}: 256 separate calls, each mapping one 4 KiB page into an existing
 *       leaf table (kept alive by a pinned page in it). Reported per call.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MapBenchmark {
    static final long GIB = 1L << 30;
    static final long MIB2 = 1L << 21;
    static final long PAGE = 1L << 12;
    static final int BULK_PAGES = 2048;
    static final int SINGLE_CALLS = 256;
    static final int RW = Permission.READ | Permission.WRITE;

    /** 2 MiB leaves: iova [4 GiB, 5 GiB) to pa [8 GiB, 9 GiB). */
    static final long HUGE_IOVA = 4 * GIB;
    /** The timed map-and-unmap cycle: iova [6 GiB, 7 GiB), under the same level-2 table. */
    static final long CYCLE_IOVA = 6 * GIB;
    /** 4 KiB bulk: iova [1 GiB, 1 GiB + 8 MiB). */
    static final long BULK_IOVA = GIB;
    /** Single 4 KiB calls: the first 256 pages of the 2 MiB at iova 2 GiB; its last page is pinned. */
    static final long SINGLE_IOVA = 2 * GIB;

    private PageTableBuilder hugeBuilder;
    private PageTableBuilder smallBuilder;
    private boolean hugeMapped;
    private boolean bulkMapped;
    private boolean singleMapped;

    @Setup(Level.Trial)
    public void setUp() {
        BenchPageTableFormat format = new BenchPageTableFormat();
        SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
        PageAllocator allocator = new PageAllocator(memory, 1L << 40, 1L << 30, 12);
        hugeBuilder = new PageTableBuilder(format, allocator, PAGE | MIB2);
        smallBuilder = new PageTableBuilder(format, allocator, PAGE);
        // Pins: keep the upper tables (and, for single calls, the leaf table) alive across unmaps.
        hugeBuilder.map(HUGE_IOVA + GIB, 0, MIB2, RW);
        smallBuilder.map(BULK_IOVA + 8 * MIB2, 0, PAGE, RW);
        smallBuilder.map(SINGLE_IOVA + MIB2 - PAGE, 0, PAGE, RW);
    }

    @Setup(Level.Invocation)
    public void unmapPrevious() {
        if (hugeMapped) {
            hugeBuilder.unmap(HUGE_IOVA, GIB);
            hugeMapped = false;
        }
        if (bulkMapped) {
            smallBuilder.unmap(BULK_IOVA, BULK_PAGES * PAGE);
            bulkMapped = false;
        }
        if (singleMapped) {
            smallBuilder.unmap(SINGLE_IOVA, SINGLE_CALLS * PAGE);
            singleMapped = false;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        unmapPrevious();
        hugeBuilder.destroy();
        smallBuilder.destroy();
    }

    @Benchmark
    public PageTableBuilder map1GiBWith2MiBPages() {
        hugeBuilder.map(HUGE_IOVA, 8 * GIB, GIB, RW);
        hugeMapped = true;
        return hugeBuilder;
    }

    @Benchmark
    public long map1GiBWith2MiBPagesThenUnmap() {
        hugeBuilder.map(CYCLE_IOVA, 8 * GIB, GIB, RW);
        return hugeBuilder.unmap(CYCLE_IOVA, GIB);
    }

    @Benchmark
    @OperationsPerInvocation(BULK_PAGES)
    public PageTableBuilder bulkMap4KiB() {
        smallBuilder.map(BULK_IOVA, 16 * GIB, BULK_PAGES * PAGE, RW);
        bulkMapped = true;
        return smallBuilder;
    }

    @Benchmark
    @OperationsPerInvocation(SINGLE_CALLS)
    public PageTableBuilder singleMap4KiB() {
        PageTableBuilder b = smallBuilder;
        long pa = 32 * GIB;
        for (int i = 0; i < SINGLE_CALLS; i++) {
            b.map(SINGLE_IOVA + i * PAGE, pa + i * PAGE, PAGE, RW);
        }
        singleMapped = true;
        return b;
    }
}
