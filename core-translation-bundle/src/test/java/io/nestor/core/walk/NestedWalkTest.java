package io.nestor.core.walk;

import static io.nestor.core.testformat.TestPageTableFormat.A;
import static io.nestor.core.testformat.TestPageTableFormat.D;
import static io.nestor.core.testformat.TestPageTableFormat.R;
import static io.nestor.core.testformat.TestPageTableFormat.T;
import static io.nestor.core.testformat.TestPageTableFormat.V;
import static io.nestor.core.testformat.TestPageTableFormat.W;
import static io.nestor.core.testformat.TestPageTableFormat.X;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
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
import io.nestor.core.testformat.TestPageTableFormat;
import org.junit.jupiter.api.Test;

/**
 * Nested (stage 1 over stage 2) walks over hand-built guest stage-1 tables in guest RAM, with a
 * host-built stage 2: results, memory-read counts and every fault kind with its attribution.
 */
class NestedWalkTest {
    /** Host physical base of guest RAM: IPA x lives at HPA GUEST_RAM + x. */
    private static final long GUEST_RAM = 0x1_0000_0000L;
    private static final long RAM_SIZE = 64L << 20;
    private static final long IOVA = 0x12_3456_7000L;
    private static final long S1_ROOT = 0x10000;
    private static final long S1_L2 = 0x11000;
    private static final long S1_L1 = 0x12000;
    private static final long S1_L0 = 0x13000;
    private static final long DATA_IPA = 0x80_0000;

    private final TestPageTableFormat f4k = TestPageTableFormat.granule4k();
    private final SparsePhysicalMemory mem = new SparsePhysicalMemory(48);
    private final PageAllocator alloc = new PageAllocator(mem, 0x4000_0000L, 0x100_0000L, 12);
    private final TranslationWalker walker = new TranslationWalker(mem);
    private final WalkResult r = new WalkResult();
    private PageTableBuilder s2;

    private void buildStage2(long pageSizes) {
        s2 = new PageTableBuilder(f4k, alloc, pageSizes);
        s2.map(0, GUEST_RAM, RAM_SIZE, Permission.READ | Permission.WRITE);
    }

    /** Writes a guest stage-1 descriptor: entry of {@code iova} in the table at {@code tableIpa}. */
    private long entryIpa(TestPageTableFormat f, long tableIpa, int level, long iova) {
        return tableIpa + 8L * TableGeometry.index(f, level, iova);
    }

    private void guestWrite(long ipa, long value) {
        mem.write64(GUEST_RAM + ipa, value);
    }

    private long guestRead(long ipa) {
        return mem.read64(GUEST_RAM + ipa);
    }

    /** The standard guest tables: IOVA -> DATA_IPA, 4 KiB page, RW, accessed. */
    private void buildStage1(long leafExtraBits) {
        guestWrite(entryIpa(f4k, S1_ROOT, 3, IOVA), S1_L2 | V | T | R | W | X);
        guestWrite(entryIpa(f4k, S1_L2, 2, IOVA), S1_L1 | V | T | R | W | X);
        guestWrite(entryIpa(f4k, S1_L1, 1, IOVA), S1_L0 | V | T | R | W | X);
        guestWrite(entryIpa(f4k, S1_L0, 0, IOVA), DATA_IPA | V | R | leafExtraBits);
    }

    private TranslationConfig nested(boolean s1Hw, boolean s2Hw) {
        return new TranslationConfig(TranslationMode.NESTED, new StageConfig(f4k, S1_ROOT, s1Hw),
                new StageConfig(f4k, s2.rootAddress(), s2Hw), 7, 3);
    }

    @Test
    void aColdFourOverFourLevelWalkReadsTwentyFourDescriptors() {
        buildStage2(1L << 12);
        buildStage1(W | A);
        assertTrue(walker.translate(nested(false, false), IOVA + 0x123, Access.READ | Access.WRITE, r), r.toString());
        assertEquals(GUEST_RAM + DATA_IPA + 0x123, r.outputAddress());
        assertEquals(12, r.pageShift());
        assertEquals(Permission.READ | Permission.WRITE, r.permissions() & (Permission.READ | Permission.WRITE));
        assertEquals(0, r.permissions() & Permission.EXEC_USER, "the leaf grants no execute");
        assertEquals(24, r.memoryReads());
        assertEquals(0, r.memoryWrites());
        assertEquals(0, r.stage1LeafLevel());
        assertEquals(0, r.stage2LeafLevel());
        assertEquals("0x100800123 (page 2^12, rw--PU)", r.translation().toString());
    }

    @Test
    void aStageTwoBlockShortensEveryStageTwoWalk() {
        buildStage2(-1L); // guest RAM is 2 MiB aligned in IPA and HPA: 2 MiB stage-2 blocks
        buildStage1(A);
        assertTrue(walker.translate(nested(false, false), IOVA + 8, Access.READ, r));
        assertEquals(4 * (3 + 1) + 3, r.memoryReads());
        assertEquals(12, r.pageShift(), "the smaller of the two leaves");
        assertEquals(1, r.stage2LeafLevel());
    }

    @Test
    void aThreeOverThreeLevelWalkWithSixteenKibGranulesReadsFifteen() {
        TestPageTableFormat f16 = TestPageTableFormat.granule16k();
        PageAllocator a16 = new PageAllocator(mem, 0x8000_0000L, 0x100_0000L, 14);
        PageTableBuilder b = new PageTableBuilder(f16, a16, 1L << 14);
        b.map(0, GUEST_RAM, RAM_SIZE, Permission.READ | Permission.WRITE);
        long root = 0x4000, l1 = 0x8000, l0 = 0xC000;
        long iova = 0x5_0123_4000L;
        guestWrite(entryIpa(f16, root, 2, iova), l1 | V | T | R | W);
        guestWrite(entryIpa(f16, l1, 1, iova), l0 | V | T | R | W);
        guestWrite(entryIpa(f16, l0, 0, iova), 0x40_0000 | V | R | A);
        TranslationConfig c = new TranslationConfig(TranslationMode.NESTED, new StageConfig(f16, root, false),
                new StageConfig(f16, b.rootAddress(), false), 1, 1);
        assertTrue(walker.translate(c, iova + 0x3FFF, Access.READ, r), r.toString());
        assertEquals(GUEST_RAM + 0x40_0000 + 0x3FFF, r.outputAddress());
        assertEquals(14, r.pageShift());
        assertEquals(15, r.memoryReads());
    }

    @Test
    void stageOneFaultsCarryStageReasonLevelAndIova() {
        buildStage2(1L << 12);
        buildStage1(A);
        TranslationConfig c = nested(false, false);
        // not present at level 1
        guestWrite(entryIpa(f4k, S1_L1, 1, IOVA), 0);
        expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.TRANSLATION, 1, IOVA, false);
        // a table bit at level 0 is reserved in the test format: invalid
        guestWrite(entryIpa(f4k, S1_L1, 1, IOVA), S1_L0 | V | T | R | W);
        guestWrite(entryIpa(f4k, S1_L0, 0, IOVA), DATA_IPA | V | T | R | A);
        expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.TRANSLATION, 0, IOVA, false);
        // write to a read-only leaf
        guestWrite(entryIpa(f4k, S1_L0, 0, IOVA), DATA_IPA | V | R | A);
        expectFault(c, IOVA + 4, Access.WRITE, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA + 4, false);
        // a table that withholds write restricts a writable leaf below it
        guestWrite(entryIpa(f4k, S1_L0, 0, IOVA), DATA_IPA | V | R | W | A);
        guestWrite(entryIpa(f4k, S1_L2, 2, IOVA), S1_L1 | V | T | R | X);
        expectFault(c, IOVA, Access.WRITE, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA, false);
        assertTrue(walker.translate(c, IOVA, Access.READ, r));
        assertEquals(0, r.permissions() & Permission.WRITE);
        // execute needs X at every level: the leaf has none
        expectFault(c, IOVA, Access.READ | Access.EXEC, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA, false);
        // next-table address beyond the 48-bit output width
        guestWrite(entryIpa(f4k, S1_L2, 2, IOVA), (1L << 50) | S1_L1 | V | T | R | W);
        expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, 2, IOVA, false);
        guestWrite(entryIpa(f4k, S1_L2, 2, IOVA), S1_L1 | V | T | R | W);
        // leaf output beyond the output width
        guestWrite(entryIpa(f4k, S1_L0, 0, IOVA), (1L << 49) | DATA_IPA | V | R | A);
        expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, 0, IOVA, false);
        // access flag clear and no hardware management
        guestWrite(entryIpa(f4k, S1_L0, 0, IOVA), DATA_IPA | V | R);
        expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.ACCESS_FLAG, 0, IOVA, false);
        // input beyond 48 bits: no descriptor involved
        expectFault(c, 1L << 48, Access.READ, FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, -1, 1L << 48, false);
        assertEquals(0, r.memoryReads());
    }

    @Test
    void stageTwoFaultsDuringAStageOneTableFetchAreAttributedToIt() {
        buildStage2(1L << 12);
        buildStage1(A);
        TranslationConfig c = nested(false, false);
        // the level-1 table lives at an IPA that stage 2 does not map
        long unmappedTable = RAM_SIZE + 0x5000;
        guestWrite(entryIpa(f4k, S1_L2, 2, IOVA), unmappedTable | V | T | R | W);
        long descIpa = entryIpa(f4k, unmappedTable, 1, IOVA);
        // stage 2 has level-0 tables for the 32 2 MiB slots of guest RAM only: its walk stops at level 1
        expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.TRANSLATION, 1, descIpa, true);
        assertEquals(5 + 5 + 3, r.memoryReads(), "root and L2 entries fetched (4 + 1 each), then 3 S2 reads");
        Fault fault = r.fault(Access.READ, IOVA);
        assertEquals(IOVA, fault.iova());
        assertTrue(fault.onStage1TableFetch());
        // the page holding the level-0 table is write-only at stage 2: the fetch needs read
        guestWrite(entryIpa(f4k, S1_L2, 2, IOVA), S1_L1 | V | T | R | W);
        s2.unmap(S1_L0, 0x1000);
        s2.map(S1_L0, GUEST_RAM + S1_L0, 0x1000, Permission.WRITE);
        expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.PERMISSION, 0,
                entryIpa(f4k, S1_L0, 0, IOVA), true);
    }

    @Test
    void stageTwoFaultsOnTheOutputCarryTheIpa() {
        buildStage2(1L << 12);
        buildStage1(W | A);
        TranslationConfig c = nested(false, false);
        s2.unmap(DATA_IPA, 0x1000);
        s2.map(DATA_IPA, GUEST_RAM + DATA_IPA, 0x1000, Permission.READ);
        expectFault(c, IOVA + 0x10, Access.WRITE, FaultStage.STAGE2, FaultReason.PERMISSION, 0, DATA_IPA + 0x10, false);
        assertTrue(walker.translate(c, IOVA + 0x10, Access.READ, r));
        assertEquals(0, r.permissions() & Permission.WRITE, "stage 2 withholds write from the combination");
        s2.unmap(DATA_IPA, 0x1000);
        expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.TRANSLATION, 0, DATA_IPA, false);
        // output IPA beyond stage 2's input width (a 3-level, 39-bit stage 2)
        TestPageTableFormat s2Narrow = new TestPageTableFormat("s2-39", 12, new int[] {9, 9, 9}, 0b111, 1, 48);
        PageTableBuilder b = new PageTableBuilder(s2Narrow, alloc);
        b.map(0, GUEST_RAM, RAM_SIZE, Permission.READ | Permission.WRITE);
        guestWrite(entryIpa(f4k, S1_L0, 0, IOVA), (1L << 40) | V | R | A);
        TranslationConfig narrow = new TranslationConfig(TranslationMode.NESTED, new StageConfig(f4k, S1_ROOT, false),
                new StageConfig(s2Narrow, b.rootAddress(), false), 1, 1);
        expectFault(narrow, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.ADDRESS_SIZE, -1, 1L << 40, false);
    }

    @Test
    void externalAbortsOnEitherStage() {
        SparsePhysicalMemory small = new SparsePhysicalMemory(32);
        TranslationWalker w = new TranslationWalker(small);
        // stage 1 only, root beyond the 32-bit memory
        TranslationConfig s1 = new TranslationConfig(TranslationMode.STAGE1, new StageConfig(f4k, 1L << 33, false),
                null, 0, 1);
        assertFalse(w.translate(s1, IOVA, Access.READ, r));
        assertEquals(FaultStage.STAGE1, r.faultStage());
        assertEquals(FaultReason.EXTERNAL_ABORT, r.faultReason());
        assertEquals(3, r.faultLevel());
        // nested, stage-2 root beyond memory: the abort happens while fetching stage 1's root
        TranslationConfig n = new TranslationConfig(TranslationMode.NESTED, new StageConfig(f4k, S1_ROOT, false),
                new StageConfig(f4k, 1L << 40, false), 0, 1);
        assertFalse(w.translate(n, IOVA, Access.READ, r));
        assertEquals(FaultStage.STAGE2, r.faultStage());
        assertEquals(FaultReason.EXTERNAL_ABORT, r.faultReason());
        assertTrue(r.onStage1TableFetch());
        assertEquals(S1_ROOT + 8L * TableGeometry.index(f4k, 3, IOVA), r.faultAddress());
    }

    @Test
    void hardwareAccessedAndDirtyUpdatesBothStages() {
        buildStage2(1L << 12);
        buildStage1(W); // accessed clear everywhere below the tables' bits
        guestWrite(entryIpa(f4k, S1_L1, 1, IOVA), S1_L0 | V | T | R | W); // no A on this table either
        assertFalse(walker.translate(nested(false, false), IOVA, Access.READ, r));
        assertEquals(FaultReason.ACCESS_FLAG, r.faultReason());

        assertTrue(walker.translate(nested(true, true), IOVA, Access.WRITE, r), r.toString());
        long leaf = guestRead(entryIpa(f4k, S1_L0, 0, IOVA));
        assertEquals(A | D, leaf & (A | D));
        assertEquals(A, guestRead(entryIpa(f4k, S1_L1, 1, IOVA)) & A);
        assertTrue(r.memoryWrites() >= 2);
        // the stage-2 leaf of the page holding the stage-1 leaf table was written by the walk: dirty
        WalkResult s2r = new WalkResult();
        TranslationConfig s2Only = new TranslationConfig(TranslationMode.STAGE2, null,
                new StageConfig(f4k, s2.rootAddress(), false), 0, -1);
        assertTrue(walker.translate(s2Only, S1_L0, Access.READ, s2r));
        assertTrue(walker.translate(s2Only, DATA_IPA, Access.READ, s2r));
        long s2LeafOfData = findLeafDescriptor(DATA_IPA);
        assertEquals(D, mem.read64(s2LeafOfData) & D, "the data page was written through stage 2");
        assertEquals(D, mem.read64(findLeafDescriptor(S1_L0)) & D);
        assertEquals(D, mem.read64(findLeafDescriptor(S1_ROOT)) & D, "the root entry got its accessed flag");
        assertEquals(0, mem.read64(findLeafDescriptor(0x20000)) & D, "a page the walk never wrote");

        // a second walk has nothing to update
        assertTrue(walker.translate(nested(true, true), IOVA, Access.WRITE, r));
        assertEquals(0, r.memoryWrites());

        // a read-only stage-2 page under a stage-1 descriptor that needs its flag set: S2 write fault
        guestWrite(entryIpa(f4k, S1_L0, 0, IOVA), DATA_IPA | V | R | W);
        s2.unmap(S1_L0, 0x1000);
        s2.map(S1_L0, GUEST_RAM + S1_L0, 0x1000, Permission.READ);
        expectFault(nested(true, false), IOVA, Access.READ, FaultStage.STAGE2, FaultReason.PERMISSION, 0,
                entryIpa(f4k, S1_L0, 0, IOVA), true);
        assertEquals(0, guestRead(entryIpa(f4k, S1_L0, 0, IOVA)) & A, "the flag was not written");
    }

    @Test
    void abortAndBypassModes() {
        assertFalse(walker.translate(TranslationConfig.abort(), 0x1234, Access.READ, r));
        assertEquals(FaultStage.CONFIG, r.faultStage());
        assertEquals(FaultReason.CONFIGURATION, r.faultReason());
        assertEquals(-1, r.faultLevel());
        assertTrue(walker.translate(TranslationConfig.bypass(3), 0xABCDE123L, Access.WRITE, r));
        assertEquals(0xABCDE123L, r.outputAddress());
        assertEquals(Permission.ALL, r.permissions());
        assertEquals(0, r.memoryReads());
    }

    @Test
    void stageOneAloneOutputsHostPhysical() {
        buildStage2(1L << 12);
        buildStage1(A);
        // run the guest's tables as a host-owned stage 1: addresses are now host physical
        TranslationConfig c = new TranslationConfig(TranslationMode.STAGE1,
                new StageConfig(f4k, GUEST_RAM + S1_ROOT, false), null, 0, 5);
        guestWrite(entryIpa(f4k, S1_ROOT, 3, IOVA), (GUEST_RAM + S1_L2) | V | T | R | W);
        guestWrite(entryIpa(f4k, S1_L2, 2, IOVA), (GUEST_RAM + S1_L1) | V | T | R | W);
        guestWrite(entryIpa(f4k, S1_L1, 1, IOVA), (GUEST_RAM + S1_L0) | V | T | R | W);
        assertTrue(walker.translate(c, IOVA + 0xFFF, Access.READ, r), r.toString());
        assertEquals(DATA_IPA + 0xFFF, r.outputAddress());
        assertEquals(4, r.memoryReads());
        assertEquals(0, r.stage1LeafLevel());
        assertEquals(-1, r.stage2LeafLevel());
    }

    /** The host physical address of stage 2's leaf descriptor for {@code ipa} (a 4-level 4 KiB walk). */
    private long findLeafDescriptor(long ipa) {
        long table = s2.rootAddress();
        for (int level = 3; level > 0; level--) {
            table = f4k.tableAddress(mem.read64(table + 8L * TableGeometry.index(f4k, level, ipa)), level);
        }
        return table + 8L * TableGeometry.index(f4k, 0, ipa);
    }

    private void expectFault(TranslationConfig c, long iova, int access, FaultStage stage, FaultReason reason,
            int level, long address, boolean tableFetch) {
        assertFalse(walker.translate(c, iova, access, r), () -> "expected " + stage + " " + reason + ", got " + r);
        Fault f = r.fault(access, iova);
        assertEquals(stage, f.stage(), f::toString);
        assertEquals(reason, f.reason(), f::toString);
        assertEquals(level, f.level(), f::toString);
        assertEquals(address, f.faultAddress(), f::toString);
        assertEquals(tableFetch, f.onStage1TableFetch(), f::toString);
    }
}
