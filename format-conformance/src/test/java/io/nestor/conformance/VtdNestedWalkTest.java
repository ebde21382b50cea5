package io.nestor.conformance;

import static io.nestor.core.conformance.NestedWalkFixture.GUEST_RAM;
import static io.nestor.core.conformance.NestedWalkFixture.RAM_SIZE;
import static io.nestor.core.conformance.NestedWalkFixture.STAGE1_ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.conformance.FormatUnderTest;
import io.nestor.core.conformance.NestedWalkFixture;
import io.nestor.core.pagetable.TableGeometry;
import io.nestor.driver.vtd.hw.format.VtdFirstStageFormat;
import io.nestor.driver.vtd.hw.format.VtdSecondStageFormat;
import org.junit.jupiter.api.Test;

/**
 * Nested walks of VT-d first-stage tables (guest, in guest RAM) over a VT-d second stage (host-built),
 * with the real formats in the configurations VtdConfigDecoder produces: memory-read counts,
 * hand-computed outputs and descriptors, and every fault the pair can produce with its stage, level,
 * address and table-fetch attribution.
 *
 * <p>VT-d has no access-flag fault: first-stage A/D updates are architectural and second-stage ones
 * either happen (SSADE) or the bits are ignored; and an output address beyond the width lands in
 * reserved bits, which decode as not present (a translation fault; the driver tells 0x72 / 0x7A
 * apart with {@code reservedBitsSet}). Address-size faults come from the input alone.
 *
 * <p>Bit positions are written out here from the spec, independently of the formats' own constants:
 * first stage (VT-d 9.7) P 0, R/W 1, U/S 2, A 5, D 6, PS 7, XD 63; second stage (VT-d 9.8) R 0, W 1,
 * PS 7, A 8, D 9.
 */
class VtdNestedWalkTest {
    private static final long P = 1, RW = 1 << 1, US = 1 << 2, A = 1 << 5, D = 1 << 6, PS = 1 << 7, XD = 1L << 63;
    private static final long SS_A = 1 << 8, SS_D = 1 << 9;
    private static final long IOVA = 0x12_3456_7000L;
    private static final long DATA_IPA = 0x80_0000;
    private static final int RWU = Permission.READ | Permission.WRITE | Permission.USER;

    private final FormatUnderTest fs4 = RealFormats.vtdFirstStage4Level();
    private final FormatUnderTest ss4 = RealFormats.vtdSecondStage4Level();

    private NestedWalkFixture fourOverFour() {
        return new NestedWalkFixture(fs4, ss4, 1L << 12, 48);
    }

    @Test
    void aColdFourLevelOverFourLevelWalkReadsTwentyFourAndSetsTheAccessedFlags() {
        NestedWalkFixture n = fourOverFour();
        long leaf = n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        assertEquals(DATA_IPA | P | RW | US | XD, n.read(leaf), "encodeLeaf: no A yet, no execute");
        assertTrue(n.walker.translate(n.nested(), IOVA + 0x123, Access.READ | Access.WRITE, n.result),
                n.result.toString());
        assertEquals(0x1_0080_0123L, n.result.outputAddress());
        assertEquals(12, n.result.pageShift());
        assertEquals(Permission.READ | Permission.WRITE | Permission.PRIV | Permission.USER, n.result.permissions());
        assertEquals(24, n.result.memoryReads(), "(4+1)(4+1)-1");
        assertEquals(4, n.result.memoryWrites(), "A on the four first-stage entries, D with it on the leaf");
        assertEquals(0x8000_0000_0080_0067L, n.read(leaf), "P|RW|US|A|D|XD");
        for (int level = 3; level > 0; level--) {
            assertEquals(A, n.read(n.descriptorIpa(IOVA, level)) & (A | D), "A (not D) on the level-" + level + " entry");
        }
        // warm flags: the same walk writes nothing
        assertTrue(n.walker.translate(n.nested(), IOVA, Access.READ | Access.WRITE, n.result));
        assertEquals(24, n.result.memoryReads());
        assertEquals(0, n.result.memoryWrites());
    }

    @Test
    void fiveLevelAndMixedDepthWalksReadOnePerLevelOfEachStage() {
        FormatUnderTest fs5 = RealFormats.vtdFirstStage5Level();
        FormatUnderTest ss5 = RealFormats.vtdSecondStage5Level();
        long iova57 = 0xA5_0000_1234_5000L; // above 48 bits, canonical for 57: root (PML5) index 0xA5
        NestedWalkFixture five = new NestedWalkFixture(fs5, ss5, 1L << 12, 48);
        five.mapStage1(iova57, DATA_IPA, 0, RWU);
        assertTrue(five.walker.translate(five.nested(), iova57 + 8, Access.READ, five.result), five.result.toString());
        assertEquals(GUEST_RAM + DATA_IPA + 8, five.result.outputAddress());
        // the first walk set A on both stages (SSADE); the second is the pure count
        assertTrue(five.walker.translate(five.nested(), iova57 + 8, Access.READ, five.result));
        assertEquals(35, five.result.memoryReads(), "(5+1)(5+1)-1");
        assertEquals(0, five.result.memoryWrites());
        assertEquals(SS_A, five.memory.read64(five.stage2LeafDescriptor(DATA_IPA)) & (SS_A | SS_D),
                "SSADE: the data page's second-stage leaf accessed, not dirty");
        assertEquals(SS_A | SS_D, five.memory.read64(five.stage2LeafDescriptor(STAGE1_ROOT)) & (SS_A | SS_D),
                "the walk wrote A into the guest root table: its second-stage page is dirty");

        NestedWalkFixture mixed = new NestedWalkFixture(fs4, ss5, 1L << 12, 48);
        mixed.mapStage1(IOVA, DATA_IPA, 0, RWU);
        assertTrue(mixed.walker.translate(mixed.nested(), IOVA, Access.READ, mixed.result));
        assertTrue(mixed.walker.translate(mixed.nested(), IOVA, Access.READ, mixed.result));
        assertEquals(29, mixed.result.memoryReads(), "(4+1)(5+1)-1");
    }

    @Test
    void largePagesShortenTheWalks() {
        // second-stage 2 MiB leaves: three reads per second-stage walk
        NestedWalkFixture n = new NestedWalkFixture(fs4, ss4, -1L, 48);
        n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        assertTrue(n.walker.translate(n.nested(), IOVA + 8, Access.READ, n.result));
        assertEquals(4 * (3 + 1) + 3, n.result.memoryReads());
        assertEquals(12, n.result.pageShift(), "the smaller of the two leaves");
        assertEquals(1, n.result.stage2LeafLevel());

        // a first-stage 2 MiB leaf (PS in the PDE) and a 1 GiB leaf (PS in the PDPTE, FL1GP)
        NestedWalkFixture m = fourOverFour();
        long pde = m.mapStage1(IOVA, DATA_IPA, 1, RWU);
        assertEquals(DATA_IPA | P | RW | US | PS | XD, m.read(pde));
        assertTrue(m.walker.translate(m.nested(), IOVA, Access.READ, m.result), m.result.toString());
        assertEquals(GUEST_RAM + DATA_IPA + 0x16_7000, m.result.outputAddress(), "IOVA bits 20:0 pass through");
        assertEquals(3 * 5 + 4, m.result.memoryReads());
        assertEquals(1, m.result.stage1LeafLevel());
        long iova1g = 0x40_0123_4000L;
        m.mapStage1(iova1g, 0, 2, RWU);
        assertTrue(m.walker.translate(m.nested(), iova1g + 0x10, Access.READ, m.result), m.result.toString());
        assertEquals(GUEST_RAM + 0x123_4010, m.result.outputAddress());
        assertEquals(2 * 5 + 4, m.result.memoryReads());
    }

    @Test
    void firstStageTranslationFaultsIncludeReservedBits() {
        NestedWalkFixture n = fourOverFour();
        n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        TranslationConfig c = n.nested();
        long l1 = n.descriptorIpa(IOVA, 1);
        long l1Value = n.read(l1);
        n.write(l1, 0);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.TRANSLATION, 1, IOVA, false);
        n.write(l1, l1Value);
        // PS in a PML4E is reserved (0x72 on hardware): the entry is not used
        long root = n.descriptorIpa(IOVA, 3);
        long rootValue = n.read(root);
        n.write(root, rootValue | PS);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.TRANSLATION, 3, IOVA, false);
        // an address bit at or above the 48-bit output width is reserved too
        n.write(root, rootValue | 1L << 50);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.TRANSLATION, 3, IOVA, false);
        n.write(root, rootValue);
        // a canonical upper-half address walks (sign-extended) and finds root entry 256 empty
        long upper = 0xFFFF_8000_0000_0000L | IOVA;
        n.expectFault(c, upper, Access.READ, FaultStage.STAGE1, FaultReason.TRANSLATION, 3, upper, false);
        assertTrue(n.walker.translate(c, IOVA, Access.READ, n.result), "restored");
    }

    @Test
    void firstStageAddressSizeFaultsComeFromNonCanonicalInputs() {
        NestedWalkFixture n = fourOverFour();
        n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        long nonCanonical = 1L << 47 | IOVA;
        n.expectFault(n.nested(), nonCanonical, Access.READ, FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, -1,
                nonCanonical, false);
        assertEquals(0, n.result.memoryReads(), "refused before any descriptor is read");
    }

    @Test
    void firstStagePermissionFaults() {
        NestedWalkFixture n = fourOverFour(); // WPE = 1
        long leaf = n.mapStage1(IOVA, DATA_IPA, 0, Permission.READ); // RW = 0, U/S = 0, XD = 1
        TranslationConfig c = n.nested();
        int privRead = Access.READ | Access.PRIV;
        assertTrue(n.walker.translate(c, IOVA, privRead, n.result), n.result.toString());
        n.expectFault(c, IOVA, Access.READ | Access.WRITE | Access.PRIV, FaultStage.STAGE1, FaultReason.PERMISSION,
                0, IOVA, false);
        n.expectFault(c, IOVA + 4, Access.READ, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA + 4, false);
        n.expectFault(c, IOVA, privRead | Access.EXEC, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA, false);
        // a user, writable, executable leaf under a level-2 entry with R/W = 0 (WPE: writes refused)
        n.write(leaf, DATA_IPA | P | RW | US | A);
        assertTrue(n.walker.translate(c, IOVA, Access.READ | Access.WRITE | Access.EXEC, n.result));
        long l2 = n.descriptorIpa(IOVA, 2);
        n.write(l2, n.read(l2) & ~RW);
        n.expectFault(c, IOVA, Access.READ | Access.WRITE, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA, false);
        assertTrue(n.walker.translate(c, IOVA, Access.READ, n.result));
        assertEquals(0, n.result.permissions() & Permission.WRITE);
        // XD in a table entry removes execution below it
        n.write(l2, n.read(l2) | RW | XD);
        n.expectFault(c, IOVA, Access.READ | Access.EXEC, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA, false);
    }

    @Test
    void withoutWpeSupervisorWritesIgnoreReadOnlyOnSupervisorPages() {
        NestedWalkFixture n = new NestedWalkFixture(RealFormats.vtdFirstStage5Level(), ss4, 1L << 12, 48);
        long iova = 0x1234_5000L;
        n.mapStage1(iova, DATA_IPA, 0, Permission.READ); // RW = 0, U/S = 0
        assertTrue(n.walker.translate(n.nested(), iova, Access.WRITE | Access.PRIV, n.result), n.result.toString());
        assertEquals(GUEST_RAM + DATA_IPA, n.result.outputAddress());
        assertEquals(D, n.read(n.descriptorIpa(iova, 0)) & D, "and the write marked the leaf dirty");
    }

    @Test
    void secondStageFaultsDuringAFirstStageTableFetchAreAttributedToIt() {
        NestedWalkFixture n = fourOverFour();
        n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        TranslationConfig c = n.nested();
        n.walker.translate(c, IOVA, Access.READ, n.result); // set the A flags first
        // the level-1 table at an IPA the second stage does not map
        long l2 = n.descriptorIpa(IOVA, 2);
        long l2Value = n.read(l2);
        long unmapped = RAM_SIZE + 0x5000;
        n.write(l2, unmapped | P | RW | US | A);
        long descIpa = unmapped + 8L * TableGeometry.index(fs4.format(), 1, IOVA);
        // the second stage has tables for the 32 2 MiB slots of guest RAM only: it stops at level 1
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.TRANSLATION, 1, descIpa, true);
        assertEquals(5 + 5 + 3, n.result.memoryReads());
        n.write(l2, l2Value);
        // the page holding the leaf table is write-only at the second stage: a fetch needs read
        long l0Table = n.tableIpa(IOVA, 0);
        n.remapStage2(l0Table, 0x1000, GUEST_RAM + l0Table, Permission.WRITE);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.PERMISSION, 0,
                n.entryIpa(l0Table, 0, IOVA), true);
        // read-only instead, and the leaf's A clear: setting it is a second-stage write (0x77)
        n.remapStage2(l0Table, 0x1000, GUEST_RAM + l0Table, Permission.READ);
        long leaf = n.entryIpa(l0Table, 0, IOVA);
        n.write(leaf, n.read(leaf) & ~(A | D));
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.PERMISSION, 0, leaf, true);
        assertEquals(0, n.read(leaf) & A, "not written");
    }

    @Test
    void secondStageFaultsOnTheOutputCarryTheIpa() {
        NestedWalkFixture n = fourOverFour();
        n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        TranslationConfig c = n.nested();
        n.remapStage2(DATA_IPA, 0x1000, GUEST_RAM + DATA_IPA, Permission.READ);
        n.expectFault(c, IOVA + 0x10, Access.WRITE, FaultStage.STAGE2, FaultReason.PERMISSION, 0, DATA_IPA + 0x10,
                false);
        assertTrue(n.walker.translate(c, IOVA + 0x10, Access.READ, n.result));
        assertEquals(0, n.result.permissions() & Permission.WRITE, "the second stage withholds write");
        n.stage2.unmap(DATA_IPA, 0x1000);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.TRANSLATION, 0, DATA_IPA, false);
    }

    @Test
    void addressSizeAtTheSecondStageComesFromItsInputWidth() {
        // second stage alone: an IPA at or above 2^48
        NestedWalkFixture n = fourOverFour();
        n.expectFault(n.stage2Only(), 1L << 48, Access.READ, FaultStage.STAGE2, FaultReason.ADDRESS_SIZE, -1,
                1L << 48, false);
        // nested over a 39-bit second stage, the decoder narrows the first stage's output to 39 bits,
        // so a wider output IPA is a reserved-bit (translation) fault of the first stage
        FormatUnderTest ss39 = new FormatUnderTest("vtd-ss 3-level 39-bit", TranslationMode.STAGE2,
                new VtdSecondStageFormat(39, 48, true, true, false, false), false);
        FormatUnderTest fs39 = new FormatUnderTest("vtd-fs 4-level out 39", TranslationMode.STAGE1,
                new VtdFirstStageFormat(false, 39, true, true), true);
        NestedWalkFixture m = new NestedWalkFixture(fs39, ss39, 1L << 12, 48);
        long leaf = m.mapStage1(IOVA, DATA_IPA, 0, RWU);
        assertTrue(m.walker.translate(m.nested(), IOVA, Access.READ, m.result));
        assertEquals(3 * 4 + 4 + 3, m.result.memoryReads(), "(4+1)(3+1)-1");
        m.write(leaf, m.read(leaf) | 1L << 40);
        m.expectFault(m.nested(), IOVA, Access.READ, FaultStage.STAGE1, FaultReason.TRANSLATION, 0, IOVA, false);
    }

    @Test
    void externalAbortsOnEitherStage() {
        NestedWalkFixture n = new NestedWalkFixture(fs4, ss4, 1L << 12, 40); // 1 TiB of host memory
        n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        // the second-stage root beyond memory: the abort happens translating the first-stage root entry
        TranslationConfig badRoot = n.nested(STAGE1_ROOT, 1L << 41);
        n.expectFault(badRoot, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.EXTERNAL_ABORT, 3,
                STAGE1_ROOT + 8L * TableGeometry.index(fs4.format(), 3, IOVA), true);
        // the second stage places the leaf table beyond memory: the first-stage read aborts
        long l0Table = n.tableIpa(IOVA, 0);
        n.remapStage2(l0Table, 0x1000, 1L << 41, Permission.READ | Permission.WRITE);
        n.expectFault(n.nested(), IOVA, Access.READ, FaultStage.STAGE1, FaultReason.EXTERNAL_ABORT, 0, IOVA, false);
        // first stage alone (host-physical tables), root beyond memory
        TranslationConfig s1 = new TranslationConfig(TranslationMode.STAGE1,
                new StageConfig(fs4.format(), 1L << 41, true), null, 1, 1);
        n.expectFault(s1, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.EXTERNAL_ABORT, 3, IOVA, false);
    }
}
