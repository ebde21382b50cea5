package io.nestor.core.translate;

import static io.nestor.core.testformat.TestPageTableFormat.A;
import static io.nestor.core.testformat.TestPageTableFormat.R;
import static io.nestor.core.testformat.TestPageTableFormat.T;
import static io.nestor.core.testformat.TestPageTableFormat.V;
import static io.nestor.core.testformat.TestPageTableFormat.W;
import static io.nestor.core.testformat.TestPageTableFormat.X;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.cache.TranslationCaches;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.pagetable.TableGeometry;
import io.nestor.core.testformat.TestPageTableFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One unit with one device behind a real engine: sparse host memory, a 4 KiB 4-level stage 2 built
 * by {@link PageTableBuilder} that maps guest RAM (IPA x at HPA {@link #GUEST_RAM} + x), and guest
 * stage-1 tables written by hand into guest RAM. The configuration decoder answers from a map the
 * test can change (or make fault), and counts its calls.
 */
final class NestedPlatformFixture {
    static final int UNIT = 0;
    static final int SID = 0x10;
    static final int PASID = 3;
    static final int DID = 7;
    static final long GUEST_RAM = 0x1_0000_0000L;
    static final long RAM_SIZE = 64L << 20;
    static final long S1_ROOT = 0x10000;
    /** Guest stage-1 tables are allocated upwards from here (IPA). */
    private long nextTableIpa = 0x11000;

    final TestPageTableFormat format = TestPageTableFormat.granule4k();
    final SparsePhysicalMemory memory = new SparsePhysicalMemory(48);
    final PageAllocator allocator = new PageAllocator(memory, 0x4000_0000L, 0x100_0000L, 12);
    final PageTableBuilder stage2 = new PageTableBuilder(format, allocator, 1L << 12);
    final TranslationCaches caches = new TranslationCaches(1024, 256, 64);
    final Map<Long, Object> configs = new ConcurrentHashMap<>();
    final AtomicInteger decodes = new AtomicInteger();
    final TranslationEngine engine;

    NestedPlatformFixture() {
        stage2.map(0, GUEST_RAM, RAM_SIZE, Permission.READ | Permission.WRITE);
        engine = new TranslationEngine(memory, caches, this::decode);
        setConfig(UNIT, SID, PASID, nested(S1_ROOT, false));
    }

    private TranslationConfig decode(int unit, int sourceId, int pasid) throws FaultException {
        decodes.incrementAndGet();
        Object c = configs.get(key(unit, sourceId, pasid));
        if (c instanceof FaultException) {
            throw (FaultException) c;
        }
        if (c == null) {
            throw new IllegalStateException("no configuration for " + sourceId + "/" + pasid);
        }
        return (TranslationConfig) c;
    }

    private static long key(int unit, int sourceId, int pasid) {
        return (long) unit << 48 | (long) sourceId << 24 | (pasid & 0xFFFFFF);
    }

    /** Sets what the decoder answers: a configuration or a {@link FaultException}. */
    void setConfig(int unit, int sourceId, int pasid, Object configOrFault) {
        configs.put(key(unit, sourceId, pasid), configOrFault);
    }

    TranslationConfig nested(long s1Root, boolean hardwareAccessedDirty) {
        return new TranslationConfig(TranslationMode.NESTED, new StageConfig(format, s1Root, hardwareAccessedDirty),
                new StageConfig(format, stage2.rootAddress(), hardwareAccessedDirty), DID, PASID);
    }

    long guestRead(long ipa) {
        return memory.read64(GUEST_RAM + ipa);
    }

    void guestWrite(long ipa, long value) {
        memory.write64(GUEST_RAM + ipa, value);
    }

    /** IPA of the descriptor for {@code iova} at {@code level} in the table at {@code tableIpa}. */
    long entryIpa(long tableIpa, int level, long iova) {
        return tableIpa + 8L * TableGeometry.index(format, level, iova);
    }

    /** Maps a 4 KiB guest page in the guest's stage-1 tables under {@code root}, making tables as needed. */
    void mapStage1(long root, long iova, long ipa, long leafBits) {
        long table = root;
        for (int level = format.levels() - 1; level > 0; level--) {
            long e = entryIpa(table, level, iova);
            long d = guestRead(e);
            if ((d & V) == 0) {
                long t = newGuestTable();
                d = t | V | T | R | W | X;
                guestWrite(e, d);
            }
            table = format.tableAddress(d, level);
        }
        guestWrite(entryIpa(table, 0, iova), ipa | V | leafBits);
    }

    /** The guest table (IPA) holding {@code iova}'s entry at {@code level}, following the live tables. */
    long stage1Table(long root, long iova, int level) {
        long table = root;
        for (int l = format.levels() - 1; l > level; l--) {
            table = format.tableAddress(guestRead(entryIpa(table, l, iova)), l);
        }
        return table;
    }

    long newGuestTable() {
        long t = nextTableIpa;
        nextTableIpa += 0x1000;
        return t;
    }

    static long readWrite() {
        return R | W | A;
    }
}
