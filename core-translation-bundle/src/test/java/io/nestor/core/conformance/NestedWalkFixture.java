package io.nestor.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.pagetable.TableGeometry;
import io.nestor.core.walk.TranslationWalker;
import io.nestor.core.walk.WalkResult;

/**
 * A guest behind a host, for nested-walk tests on any pair of formats: sparse host memory; guest
 * RAM ({@link #RAM_SIZE} bytes of IPA from 0) placed at host physical {@link #GUEST_RAM}, mapped
 * read-write by a stage 2 that a {@link PageTableBuilder} builds; and guest stage-1 tables that the
 * test writes into guest RAM at IPAs, through the stage-1 format's own encoders
 * ({@link #mapStage1}) or descriptor by descriptor ({@link #write}).
 *
 * <p>Guest tables are handed out upwards from {@link #STAGE1_ROOT}, one stage-1 granule each
 * (concatenated roots take as many as the format has), so the IPA of every descriptor is known to
 * the test and an expected fault address can be computed by hand.
 */
public final class NestedWalkFixture {
    /** Host physical address of IPA 0. */
    public static final long GUEST_RAM = 0x1_0000_0000L;
    /** Bytes of guest RAM mapped by stage 2. */
    public static final long RAM_SIZE = 64L << 20;
    /** IPA of the guest's stage-1 root table (64 KiB aligned, so every granule fits). */
    public static final long STAGE1_ROOT = 0x10_0000;

    public final SparsePhysicalMemory memory;
    public final PageAllocator allocator;
    public final PageTableBuilder stage2;
    public final TranslationWalker walker;
    public final WalkResult result = new WalkResult();
    private final FormatUnderTest s1;
    private final FormatUnderTest s2;
    private long nextTableIpa;

    /**
     * @param s1 the guest's stage-1 format
     * @param s2 the host's stage-2 format
     * @param stage2PageSizes leaf sizes stage 2 may use (bit n = 2^n bytes): the granule alone makes
     *     every stage-2 walk reach the last level
     * @param memoryBits host physical address width of the memory (above it: external abort)
     */
    public NestedWalkFixture(FormatUnderTest s1, FormatUnderTest s2, long stage2PageSizes, int memoryBits) {
        this.s1 = s1;
        this.s2 = s2;
        this.memory = new SparsePhysicalMemory(memoryBits);
        this.allocator = new PageAllocator(memory, 0x4000_0000L, 0x100_0000L, s2.format().granuleShift());
        this.stage2 = new PageTableBuilder(s2.format(), allocator, stage2PageSizes);
        stage2.map(0, GUEST_RAM, RAM_SIZE, Permission.READ | Permission.WRITE);
        this.walker = new TranslationWalker(memory);
        long g = 1L << s1.format().granuleShift();
        this.nextTableIpa = STAGE1_ROOT + g * s1.format().rootTableCount();
    }

    public PageTableFormat stage1Format() {
        return s1.format();
    }

    public PageTableFormat stage2Format() {
        return s2.format();
    }

    /** Stage 1 over stage 2 from the guest root, each stage managing A/D as its configuration says. */
    public TranslationConfig nested() {
        return nested(STAGE1_ROOT, stage2.rootAddress());
    }

    public TranslationConfig nested(long stage1Root, long stage2Root) {
        return new TranslationConfig(TranslationMode.NESTED,
                new StageConfig(s1.format(), stage1Root, s1.hardwareAccessedDirty()),
                new StageConfig(s2.format(), stage2Root, s2.hardwareAccessedDirty()), FormatUnderTest.DOMAIN_TAG,
                FormatUnderTest.ADDRESS_SPACE_TAG);
    }

    /** Stage 2 alone, for looking at the host's tables. */
    public TranslationConfig stage2Only() {
        return new TranslationConfig(TranslationMode.STAGE2, null,
                new StageConfig(s2.format(), stage2.rootAddress(), false), FormatUnderTest.DOMAIN_TAG, -1);
    }

    /** A fresh zeroed guest table (IPA), one stage-1 granule. */
    public long newGuestTable() {
        long t = nextTableIpa;
        nextTableIpa += 1L << s1.format().granuleShift();
        return t;
    }

    public long read(long ipa) {
        return memory.read64(GUEST_RAM + ipa);
    }

    public void write(long ipa, long descriptor) {
        memory.write64(GUEST_RAM + ipa, descriptor);
    }

    /** IPA of {@code iova}'s descriptor at {@code level} in the guest table at {@code tableIpa}. */
    public long entryIpa(long tableIpa, int level, long iova) {
        return tableIpa + 8L * TableGeometry.index(s1.format(), level, iova);
    }

    /** IPA of the guest table holding {@code iova}'s entry at {@code level}, following the live tables. */
    public long tableIpa(long iova, int level) {
        PageTableFormat f = s1.format();
        long table = STAGE1_ROOT;
        for (int l = f.levels() - 1; l > level; l--) {
            table = f.tableAddress(read(entryIpa(table, l, iova)), l);
        }
        return table;
    }

    /** IPA of {@code iova}'s descriptor at {@code level}. */
    public long descriptorIpa(long iova, int level) {
        return entryIpa(tableIpa(iova, level), level, iova);
    }

    /**
     * Maps {@code iova} to {@code ipa} with one stage-1 leaf at {@code leafLevel}, writing table
     * descriptors ({@code encodeTable}) where none are present yet.
     *
     * @return the IPA of the leaf descriptor
     */
    public long mapStage1(long iova, long ipa, int leafLevel, int permissions) {
        PageTableFormat f = s1.format();
        long table = STAGE1_ROOT;
        for (int level = f.levels() - 1; level > leafLevel; level--) {
            long e = entryIpa(table, level, iova);
            long d = read(e);
            if (f.kind(d, level) != PageTableFormat.KIND_TABLE) {
                d = f.encodeTable(newGuestTable(), level);
                write(e, d);
            }
            table = f.tableAddress(d, level);
        }
        long leaf = entryIpa(table, leafLevel, iova);
        write(leaf, f.encodeLeaf(ipa, leafLevel, permissions));
        return leaf;
    }

    /** Replaces stage 2's mapping of {@code [ipa, ipa + size)}. */
    public void remapStage2(long ipa, long size, long hpa, int permissions) {
        stage2.unmap(ipa, size);
        stage2.map(ipa, hpa, size, permissions);
    }

    /** Host physical address of stage 2's leaf descriptor for {@code ipa}. */
    public long stage2LeafDescriptor(long ipa) {
        PageTableFormat f = s2.format();
        long table = stage2.rootAddress();
        for (int level = f.levels() - 1; ; level--) {
            long d = memory.read64(table + 8L * TableGeometry.index(f, level, ipa));
            if (f.kind(d, level) != PageTableFormat.KIND_TABLE) {
                return table + 8L * TableGeometry.index(f, level, ipa);
            }
            table = f.tableAddress(d, level);
        }
    }

    /** Translates and asserts the fault: stage, reason, level, faulting address, table-fetch flag. */
    public Fault expectFault(TranslationConfig c, long iova, int access, FaultStage stage, FaultReason reason,
            int level, long address, boolean tableFetch) {
        assertFalse(walker.translate(c, iova, access, result),
                () -> "expected " + stage + " " + reason + ", got " + result);
        Fault f = result.fault(access, iova);
        assertEquals(stage, f.stage(), f::toString);
        assertEquals(reason, f.reason(), f::toString);
        assertEquals(level, f.level(), f::toString);
        assertEquals(address, f.faultAddress(), f::toString);
        assertEquals(tableFetch, f.onStage1TableFetch(), f::toString);
        assertEquals(iova, f.iova(), f::toString);
        return f;
    }
}
