package io.nestor.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.nestor.api.pagetable.Permission;
import io.nestor.core.cache.Iotlb;
import io.nestor.core.cache.IotlbEntry;
import io.nestor.core.cache.IotlbKind;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
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
 * One IOTLB hit on one thread: the core's {@link Iotlb} against the same semantics built on
 * {@link ConcurrentHashMap} and on a bounded Caffeine cache, with the same resident pages and the
 * same random access sequence, in one run.
 *
 * <p>{@link #resident} (4096) resident 4 KiB pages, scattered over a 48-bit IOVA space, of one (unit,
 * domain tag, PASID). Each operation looks up the next address of a pre-generated random sequence
 * over them and hands the result to a {@link Blackhole}. The baselines get their best case: the
 * whole key (tags and page number) in one {@code Long}, where a faithful key needs two longs, no
 * page-size probing and no strict-mode check; the {@code ...Counted} variants add the hit / miss
 * statistics the IOTLB keeps.
 * Pages the IOTLB's set-associative placement evicted at setup are left out of the sequence for
 * all three, so every measured lookup is a hit everywhere.
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
    /** The tag word, computed once per configuration on the real translation path. */
    private long tag;
    private ConcurrentHashMap<Long, Long> map;
    private Cache<Long, Long> caffeine;
    private final LongAdder mapHits = new LongAdder();
    private final LongAdder mapMisses = new LongAdder();
    private final LongAdder caffeineHits = new LongAdder();
    private final LongAdder caffeineMisses = new LongAdder();
    private long[] sequence;
    private long[] absent;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        iotlb = new Iotlb(capacity);
        tag = Iotlb.tag(UNIT, DOMAIN_TAG, PASID, IotlbKind.STAGE1);
        map = new ConcurrentHashMap<>();
        caffeine = Caffeine.newBuilder().maximumSize(capacity).build();

        long[] pages = new long[resident];
        java.util.HashSet<Long> seen = new java.util.HashSet<>();
        for (int i = 0; i < resident; i++) {
            long page;
            do {
                page = random.nextLong(1L << 36);
            } while (!seen.add(page));
            pages[i] = page;
            long entry = IotlbEntry.pack(random.nextLong(1L << 40) << 12, 12, Permission.ALL);
            iotlb.fill(iotlb.fillToken(), UNIT, DOMAIN_TAG, PASID, IotlbKind.STAGE1, page << 12, entry);
            map.put(baselineKey(page << 12), entry);
            caffeine.put(baselineKey(page << 12), entry);
        }
        long[] hitting = java.util.Arrays.stream(pages)
                .filter(p -> iotlb.lookup(UNIT, DOMAIN_TAG, PASID, IotlbKind.STAGE1, p << 12) != IotlbEntry.MISS)
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
        System.out.printf("%n%d of %d resident pages hit after setup (%s)%n", hitting.length, resident,
                iotlb.statistics());
    }

    /** The baselines' key: tags and page number in one long (fits for these small tags). */
    private static long baselineKey(long iova) {
        return (iova >>> 12) | (long) PASID << 36 | (long) DOMAIN_TAG << 56 | (long) UNIT << 62;
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

    @Benchmark
    public void iotlbHit(Blackhole bh) {
        bh.consume(iotlb.lookup(tag, next()));
    }

    @Benchmark
    public void concurrentHashMapHit(Blackhole bh) {
        Long entry = map.get(baselineKey(next()));
        bh.consume(entry == null ? IotlbEntry.MISS : entry.longValue());
    }

    @Benchmark
    public void caffeineHit(Blackhole bh) {
        Long entry = caffeine.getIfPresent(baselineKey(next()));
        bh.consume(entry == null ? IotlbEntry.MISS : entry.longValue());
    }

    /**
     * The map baseline with the statistics the IOTLB keeps (hits and misses counted, here in
     * {@link LongAdder}s, the obvious choice): closer to "the same semantics".
     */
    @Benchmark
    public void concurrentHashMapHitCounted(Blackhole bh) {
        Long entry = map.get(baselineKey(next()));
        (entry == null ? mapMisses : mapHits).increment();
        bh.consume(entry == null ? IotlbEntry.MISS : entry.longValue());
    }

    /** The Caffeine baseline with hits and misses counted the same way. */
    @Benchmark
    public void caffeineHitCounted(Blackhole bh) {
        Long entry = caffeine.getIfPresent(baselineKey(next()));
        (entry == null ? caffeineMisses : caffeineHits).increment();
        bh.consume(entry == null ? IotlbEntry.MISS : entry.longValue());
    }

    /** For reference: a miss (one probe, counted in a LongAdder). */
    @Benchmark
    public void iotlbMiss(Blackhole bh) {
        long iova = absent[cursor];
        cursor = (cursor + 1) & (SEQUENCE - 1);
        bh.consume(iotlb.lookup(tag, iova));
    }
}
