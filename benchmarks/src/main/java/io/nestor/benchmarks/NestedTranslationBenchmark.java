package io.nestor.benchmarks;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.cache.TranslationCaches;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.translate.TranslationEngine;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.translate.TranslationSource;
import io.nestor.core.walk.TranslationWalker;
import io.nestor.core.walk.WalkResult;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The translation path of a nested (4-level stage 1 over 4-level stage 2, 4 KiB pages) device on one
 * thread, at its three speeds:
 * <ul>
 *   <li>{@link #coldWalk}: the walker alone, no cache of any kind: 24 descriptor reads, each stage-1
 *       table address translated by a full stage-2 walk (target at most 400 ns);</li>
 *   <li>{@link #coldEngine}: the same through the engine with IOTLB and walk caches switched off
 *       (adds the configuration-cache lookup);</li>
 *   <li>{@link #warmWalkCachesNoIotlb}: the engine with the IOTLB switched off and the walk caches
 *       warm: 2 reads, the stage-1 and stage-2 leaves (target at most 100 ns);</li>
 *   <li>{@link #iotlbHit}: the engine's hit path: configuration cache, tag, IOTLB lookup,
 *       permission check.</li>
 * </ul>
 * {@link #PAGES} guest pages, spread over 8 stage-1 last-level tables and 8 stage-2 last-level
 * tables, are translated in a pre-generated random order. The stage-2 tables are built by the
 * core's {@link PageTableBuilder}; the guest's stage-1 tables are written by hand into guest RAM.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class NestedTranslationBenchmark {
    static final int PAGES = 4096;
    static final int SEQUENCE = 1 << 16;
    static final long GUEST_RAM = 0x1_0000_0000L;
    static final long RAM_SIZE = 64L << 20;
    static final long S1_ROOT = 0x1000;
    static final long DATA_IPA = 0x100_0000;
    static final long IOVA = 0x7f12_3400_0000L;
    static final int UNIT = 0;
    static final int SID = 0x10;
    static final int PASID = 1;

    private final BenchPageTableFormat format = new BenchPageTableFormat();
    private SparsePhysicalMemory memory;
    private TranslationConfig config;
    private TranslationWalker walker;
    private final WalkResult walkResult = new WalkResult();
    private TranslationEngine cold;
    private TranslationEngine walkCached;
    private TranslationEngine iotlbCached;
    private final TranslationResult result = new TranslationResult();
    private long[] iovas;
    private long[] hitIovas;
    private int next;
    private long nextTable = S1_ROOT + 0x1000;

    @Setup
    public void setUp() {
        memory = new SparsePhysicalMemory(48);
        PageAllocator allocator = new PageAllocator(memory, 0x4000_0000L, 0x100_0000L, 12);
        PageTableBuilder stage2 = new PageTableBuilder(format, allocator, 1L << 12);
        stage2.map(0, GUEST_RAM, RAM_SIZE, Permission.READ | Permission.WRITE);
        for (int i = 0; i < PAGES; i++) {
            mapStage1(IOVA + i * 0x1000L, DATA_IPA + i * 0x1000L);
        }
        config = new TranslationConfig(TranslationMode.NESTED, new StageConfig(format, S1_ROOT, false),
                new StageConfig(format, stage2.rootAddress(), false), 5, PASID);
        walker = new TranslationWalker(memory);

        cold = engine();
        cold.setIotlbEnabled(false);
        cold.setWalkCacheEnabled(false);
        walkCached = engine();
        walkCached.setIotlbEnabled(false);
        iotlbCached = engine();

        SplittableRandom random = new SplittableRandom(42);
        iovas = new long[SEQUENCE];
        for (int i = 0; i < SEQUENCE; i++) {
            iovas[i] = IOVA + random.nextInt(PAGES) * 0x1000L + random.nextInt(512) * 8;
        }
        for (int i = 0; i < PAGES; i++) {
            check(walkCached, IOVA + i * 0x1000L);
            check(iotlbCached, IOVA + i * 0x1000L);
        }
        // only pages the IOTLB kept (its set-associative placement may evict a few)
        hitIovas = new long[SEQUENCE];
        int n = 0;
        for (int i = 0; n < SEQUENCE; i = (i + 1) % SEQUENCE) {
            check(iotlbCached, iovas[i]);
            if (result.source() == TranslationSource.IOTLB) {
                hitIovas[n++] = iovas[i];
            }
        }
        check(walkCached, IOVA);
        if (result.memoryReads() != 2) {
            throw new IllegalStateException("warm walk caches should read 2 descriptors, read " + result.memoryReads());
        }
        walker.translate(config, IOVA, Access.READ, walkResult);
        if (walkResult.memoryReads() != 24) {
            throw new IllegalStateException("a cold walk should read 24 descriptors: " + walkResult);
        }
    }

    private TranslationEngine engine() {
        TranslationEngine e = new TranslationEngine(memory, new TranslationCaches(16384, 1024, 64),
                (unit, sid, pasid) -> config);
        return e;
    }

    private void check(TranslationEngine e, long iova) {
        if (!e.translate(UNIT, SID, PASID, iova, Access.READ, result)) {
            throw new IllegalStateException("0x" + Long.toHexString(iova) + ": " + result);
        }
    }

    /** Writes a 4 KiB mapping into the guest's stage-1 tables (IPA x is at HPA GUEST_RAM + x). */
    private void mapStage1(long iova, long ipa) {
        long table = S1_ROOT;
        for (int level = 3; level > 0; level--) {
            long entry = GUEST_RAM + table + 8L * ((iova >>> format.levelShift(level)) & 511);
            long d = memory.read64(entry);
            if ((d & BenchPageTableFormat.V) == 0) {
                d = format.encodeTable(nextTable, level);
                nextTable += 0x1000;
                memory.write64(entry, d);
            }
            table = format.tableAddress(d, level);
        }
        memory.write64(GUEST_RAM + table + 8L * ((iova >>> 12) & 511),
                format.encodeLeaf(ipa, 0, Permission.READ | Permission.WRITE));
    }

    private long nextIova(long[] sequence) {
        long iova = sequence[next];
        next = (next + 1) & (SEQUENCE - 1);
        return iova;
    }

    @Benchmark
    public long coldWalk() {
        walker.translate(config, nextIova(iovas), Access.READ, walkResult);
        return walkResult.outputAddress();
    }

    @Benchmark
    public long coldEngine() {
        cold.translate(UNIT, SID, PASID, nextIova(iovas), Access.READ, result);
        return result.outputAddress();
    }

    @Benchmark
    public long warmWalkCachesNoIotlb() {
        walkCached.translate(UNIT, SID, PASID, nextIova(iovas), Access.READ, result);
        return result.outputAddress();
    }

    @Benchmark
    public long iotlbHit() {
        iotlbCached.translate(UNIT, SID, PASID, nextIova(hitIovas), Access.READ, result);
        return result.outputAddress();
    }
}
