package io.nestor.benchmarks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Where the IOTLB hit's time goes: throw-away variants of its table probe on a plain
 * {@code long[]} of the same size and access pattern as {@link IotlbBenchmark} (4096 one-word keys
 * in 4096 sets, random order), without the handle, the counter or the strict flag. Used to find
 * what limits the hit (see benchmarks/README.md); not a comparison with anything.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class IotlbLayoutBenchmark {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    static final int SETS = 4096;
    static final int RESIDENT = 4096;
    static final int SEQUENCE = 1 << 16;

    private long[] wide;   // the core's layout: 16 longs per set: seq, 4 x (key, value), padding
    private long[] narrow; // 8 longs per set: 4 x (key, value), no sequence number
    private long[] keys;
    private long[] compact; // the core's layout now: 9 longs per set, keys in their preferred way
    private int cursor;

    private static int preferredWay(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> 50) & 3;
    }

    private static int set(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> 52) & (SETS - 1);
    }

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        wide = new long[SETS * 16];
        compact = new long[SETS * 9];
        narrow = new long[SETS * 8];
        long[] resident = new long[RESIDENT];
        int n = 0;
        while (n < RESIDENT) {
            long key = 1L << 46 | random.nextLong(1L << 37) << 1;
            int s = set(key);
            for (int way = 0; way < 4; way++) {
                if (narrow[s * 8 + way * 2] == 0) {
                    narrow[s * 8 + way * 2] = key;
                    narrow[s * 8 + way * 2 + 1] = key ^ 0x5555;
                    wide[s * 16 + 1 + way * 2] = key;
                    wide[s * 16 + 2 + way * 2] = key ^ 0x5555;
                    resident[n++] = key;
                    int pw = preferredWay(key);
                    int w = compact[s * 9 + 1 + pw * 2] == 0 ? pw : way;
                    while (compact[s * 9 + 1 + w * 2] != 0) {
                        w = (w + 1) & 3;
                    }
                    compact[s * 9 + 1 + w * 2] = key;
                    compact[s * 9 + 2 + w * 2] = key ^ 0x5555;
                    break;
                }
            }
        }
        keys = new long[SEQUENCE];
        for (int i = 0; i < SEQUENCE; i++) {
            keys[i] = resident[random.nextInt(RESIDENT)];
        }
    }

    private long next() {
        long k = keys[cursor];
        cursor = (cursor + 1) & (SEQUENCE - 1);
        return k;
    }

    private static long select(long k, long value, long key) {
        long diff = k ^ key;
        return value & ~((diff | -diff) >> 63);
    }

    /** The previous probe: seqlock read of a 16-long set, branch-free 4-way select. */
    @Benchmark
    public void seqlockWide(Blackhole bh) {
        long key = next();
        long[] d = wide;
        int base = set(key) * 16;
        long seq = (long) LONGS.getAcquire(d, base);
        long found = select(d[base + 1], d[base + 2], key) | select(d[base + 3], d[base + 4], key)
                | select(d[base + 5], d[base + 6], key) | select(d[base + 7], d[base + 8], key);
        VarHandle.acquireFence();
        bh.consume((seq & 1) == 0 && (long) LONGS.getAcquire(d, base) == seq ? found : 0);
    }

    /** The core's probe now: seqlock'd read of the preferred way, full scan if the key is elsewhere. */
    @Benchmark
    public void seqlockPreferredWay(Blackhole bh) {
        long key = next();
        long[] d = compact;
        int base = set(key) * 9;
        int way = base + 1 + 2 * preferredWay(key);
        long seq = (long) LONGS.getAcquire(d, base);
        long k = d[way];
        long v = d[way + 1];
        VarHandle.acquireFence();
        if (k == key && (seq & 1) == 0 && (long) LONGS.getAcquire(d, base) == seq) {
            bh.consume(v);
            return;
        }
        long found = select(d[base + 1], d[base + 2], key) | select(d[base + 3], d[base + 4], key)
                | select(d[base + 5], d[base + 6], key) | select(d[base + 7], d[base + 8], key);
        VarHandle.acquireFence();
        bh.consume((seq & 1) == 0 && (long) LONGS.getAcquire(d, base) == seq ? found : 0);
    }

    /** The same probe without the sequence checks (not safe): what the seqlock costs. */
    @Benchmark
    public void plainWide(Blackhole bh) {
        long key = next();
        long[] d = wide;
        int base = set(key) * 16;
        bh.consume(select(d[base + 1], d[base + 2], key) | select(d[base + 3], d[base + 4], key)
                | select(d[base + 5], d[base + 6], key) | select(d[base + 7], d[base + 8], key));
    }

    /** 64-byte sets without a sequence number (not safe): what the second cache line costs. */
    @Benchmark
    public void plainNarrow(Blackhole bh) {
        long key = next();
        long[] d = narrow;
        int base = set(key) * 8;
        bh.consume(select(d[base], d[base + 1], key) | select(d[base + 2], d[base + 3], key)
                | select(d[base + 4], d[base + 5], key) | select(d[base + 6], d[base + 7], key));
    }

    /** 64-byte sets, a branching scan (first matching way wins). */
    @Benchmark
    public void branchingNarrow(Blackhole bh) {
        long key = next();
        long[] d = narrow;
        int base = set(key) * 8;
        long found = 0;
        for (int w = base; w < base + 8; w += 2) {
            if (d[w] == key) {
                found = d[w + 1];
                break;
            }
        }
        bh.consume(found);
    }

    /** One load of the key's slot only: the memory floor of any probe of this table. */
    @Benchmark
    public void oneLoad(Blackhole bh) {
        long key = next();
        bh.consume(narrow[set(key) * 8]);
    }
}
