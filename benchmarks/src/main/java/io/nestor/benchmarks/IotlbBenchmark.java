package io.nestor.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.nestor.api.pagetable.Permission;
import io.nestor.core.cache.Iotlb;
import io.nestor.core.cache.IotlbEntry;
import io.nestor.core.cache.IotlbHandle;
import io.nestor.core.cache.IotlbKind;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One IOTLB hit on one thread: the core's {@link Iotlb} against the same IOTLB rebuilt on
 * {@link ConcurrentHashMap} and on a bounded Caffeine cache ({@link MapBackedIotlb}: same tag
 * handle, same one-word key, same page-size probes, same hit / miss statistics), with the same
 * resident pages and the same random access sequence, in one run.
 *
 * <p>{@link #resident} (4096) resident 4 KiB pages, scattered over a 48-bit IOVA space, of one (unit,
 * domain tag, PASID, kind), whose handle the caller holds (as the translation path keeps it in its
 * configuration entry). Each operation looks up the next address of a pre-generated random
 * sequence over them and hands the result to a {@link Blackhole}. Pages the IOTLB's
 * set-associative placement evicted at setup are left out of the sequence for all, so every
 * measured lookup is a hit everywhere. For reference: the tag-word entry point of the IOTLB
 * ({@link #iotlbHitByTag}, one registry probe more), a bare map get of the same key with nothing
 * else ({@link #concurrentHashMapBareGet}, {@link #caffeineBareGet}) and a miss.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class IotlbBenchmark {
    /** Resident pages; {@code -p resident=64} measures with everything in L1. */
    @Param("4096")
    public int resident;
    /** IOTLB (and Caffeine) capacity. */
    @Param("16384")
    public int capacity;
    static final int SEQUENCE = 1 << 16;
    static final int UNIT = 0;
    static final int DOMAIN_TAG = 5;
    static final int PASID = 3;

    private Iotlb iotlb;
    /** Resolved once per configuration on the real translation path. */
    private IotlbHandle handle;
    private long tag;
    private MapBackedIotlb.OnConcurrentHashMap onMap;
    private MapBackedIotlb.OnCaffeine onCaffeine;
    private MapBackedIotlb.Handle baselineHandle;
    private ConcurrentHashMap<Long, Long> bareMap;
    private Cache<Long, Long> bareCaffeine;
    private long[] sequence;
    private long[] absent;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        iotlb = new Iotlb(capacity);
        handle = iotlb.handle(UNIT, DOMAIN_TAG, PASID, IotlbKind.STAGE1);
        tag = Iotlb.tag(UNIT, DOMAIN_TAG, PASID, IotlbKind.STAGE1);
        onMap = new MapBackedIotlb.OnConcurrentHashMap();
        onCaffeine = new MapBackedIotlb.OnCaffeine(capacity);
        baselineHandle = new MapBackedIotlb.Handle(1);
        bareMap = new ConcurrentHashMap<>();
        bareCaffeine = Caffeine.newBuilder().maximumSize(capacity).build();

        long[] pages = new long[resident];
        java.util.HashSet<Long> seen = new java.util.HashSet<>();
        for (int i = 0; i < resident; i++) {
            long page;
            do {
                page = random.nextLong(1L << 36);
            } while (!seen.add(page));
            pages[i] = page;
            long entry = IotlbEntry.pack(random.nextLong(1L << 40) << 12, 12, Permission.ALL);
            iotlb.fill(iotlb.fillToken(), handle, page << 12, entry);
            onMap.fill(baselineHandle, page << 12, entry);
            onCaffeine.fill(baselineHandle, page << 12, entry);
            bareMap.put(bareKey(page << 12), entry);
            bareCaffeine.put(bareKey(page << 12), entry);
        }
        long[] hitting = java.util.Arrays.stream(pages)
                .filter(p -> iotlb.lookup(handle, p << 12) != IotlbEntry.MISS)
                .toArray();
        sequence = new long[SEQUENCE];
        absent = new long[SEQUENCE];
        for (int i = 0; i < SEQUENCE; i++) {
            sequence[i] = hitting[random.nextInt(hitting.length)] << 12 | random.nextInt(1 << 12);
            long page;
            do {
                page = random.nextLong(1L << 36);
            } while (seen.contains(page));
            absent[i] = page << 12;
        }
        for (long iova : sequence) {
            if (onMap.lookup(baselineHandle, iova) != iotlb.lookup(handle, iova)
                    || onCaffeine.lookup(baselineHandle, iova) != iotlb.lookup(handle, iova)) {
                throw new IllegalStateException("baselines disagree at 0x" + Long.toHexString(iova));
            }
        }
        System.out.printf("%n%d of %d resident pages hit after setup (%s)%n", hitting.length, resident,
                iotlb.statistics());
    }

    /** The bare maps' key: the same key word as the handle-based ones (index 1). */
    private static long bareKey(long iova) {
        return 1L << MapBackedIotlb.PAGE_BITS | MapBackedIotlb.pageKey(iova, 12);
    }

    private long next() {
        long iova = sequence[cursor];
        cursor = (cursor + 1) & (SEQUENCE - 1);
        return iova;
    }

    /** The harness alone: the address sequence and the Blackhole, without any lookup. */
    @Benchmark
    public void harnessOnly(Blackhole bh) {
        bh.consume(next());
    }

    /** The core's hit path, with the handle the configuration entry holds. */
    @Benchmark
    public void iotlbHit(Blackhole bh) {
        bh.consume(iotlb.lookup(handle, next()));
    }

    /** The core's tag-word entry point: a lock-free registry probe for the handle, then the same. */
    @Benchmark
    public void iotlbHitByTag(Blackhole bh) {
        bh.consume(iotlb.lookup(tag, next()));
    }

    /** The same IOTLB on a ConcurrentHashMap (same handle, key, probes, statistics). */
    @Benchmark
    public void concurrentHashMapIotlbHit(Blackhole bh) {
        bh.consume(onMap.lookup(baselineHandle, next()));
    }

    /** The same IOTLB on a bounded Caffeine cache (same handle, key, probes, statistics). */
    @Benchmark
    public void caffeineIotlbHit(Blackhole bh) {
        bh.consume(onCaffeine.lookup(baselineHandle, next()));
    }

    /** For reference, less than the same semantics: one get of the same key, nothing else. */
    @Benchmark
    public void concurrentHashMapBareGet(Blackhole bh) {
        Long entry = bareMap.get(bareKey(next()));
        bh.consume(entry == null ? IotlbEntry.MISS : entry.longValue());
    }

    /** For reference, less than the same semantics: one get of the same key, nothing else. */
    @Benchmark
    public void caffeineBareGet(Blackhole bh) {
        Long entry = bareCaffeine.getIfPresent(bareKey(next()));
        bh.consume(entry == null ? IotlbEntry.MISS : entry.longValue());
    }

    /** For reference: a miss (one probe, counted in a LongAdder). */
    @Benchmark
    public void iotlbMiss(Blackhole bh) {
        long iova = absent[cursor];
        cursor = (cursor + 1) & (SEQUENCE - 1);
        bh.consume(iotlb.lookup(handle, iova));
    }
}
