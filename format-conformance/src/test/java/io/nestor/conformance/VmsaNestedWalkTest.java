package io.nestor.conformance;

import static io.nestor.core.conformance.NestedWalkFixture.GUEST_RAM;
import static io.nestor.core.conformance.NestedWalkFixture.RAM_SIZE;
import static io.nestor.core.conformance.NestedWalkFixture.STAGE1_ROOT;
import static io.nestor.driver.smmuv3.hw.format.VmsaGranule.GRANULE_16K;
import static io.nestor.driver.smmuv3.hw.format.VmsaGranule.GRANULE_4K;
import static io.nestor.driver.smmuv3.hw.format.VmsaGranule.GRANULE_64K;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.conformance.FormatUnderTest;
import io.nestor.core.conformance.NestedWalkFixture;
import io.nestor.core.pagetable.TableGeometry;
import io.nestor.driver.smmuv3.hw.format.VmsaGeometry;
import io.nestor.driver.smmuv3.hw.format.VmsaStage1Format;
import io.nestor.driver.smmuv3.hw.format.VmsaStage2Format;
import org.junit.jupiter.api.Test;

/**
 * Nested walks of VMSAv8-64 stage-1 tables (guest, in guest RAM) over a VMSAv8-64 stage 2
 * (host-built), with the real formats in the configurations Smmuv3StageDecoder produces, including
 * mixed granules and concatenated stage-2 roots: memory-read counts, hand-computed outputs and
 * descriptors, and every fault kind with its stage, level, address and table-fetch attribution.
 *
 * <p>An input outside TxSZ / S2T0SZ is reported by the walker as an address-size fault at level -1
 * (no descriptor involved); SMMUv3 reports it as F_TRANSLATION (hw-formats.md §3.3), which is the
 * driver's encoding, not the walk's.
 *
 * <p>Bit positions are written out here from the Arm ARM, independently of the formats' constants:
 * bits 1:0 type (01 block, 11 table / page), AP[1] / S2AP[0] 6, AP[2] / S2AP[1] 7, AF 10, DBM 51,
 * PXN 53, UXN 54; table descriptors PXNTable 59, UXNTable 60, APTable 62:61.
 */
class VmsaNestedWalkTest {
    private static final long VALID = 1, TABLE = 3, AP1 = 1 << 6, AP2 = 1 << 7, SH_INNER = 3 << 8, AF = 1 << 10;
    private static final long PXN = 1L << 53, UXN = 1L << 54;
    private static final long PXN_TABLE = 1L << 59, UXN_TABLE = 1L << 60, AP_TABLE_NO_EL0 = 1L << 61,
            AP_TABLE_NO_WRITE = 1L << 62;
    private static final long IOVA = 0x12_3456_7000L;
    private static final long DATA_IPA = 0x80_0000;
    private static final int RWU = Permission.READ | Permission.WRITE | Permission.USER;

    private final FormatUnderTest s1x4k = RealFormats.vmsaStage1(GRANULE_4K, 16, false, false, false);
    private final FormatUnderTest s2x4k = RealFormats.vmsaStage2(GRANULE_4K, 16, 2, false, false, false);

    private NestedWalkFixture fourKOverFourK() {
        return new NestedWalkFixture(s1x4k, s2x4k, 1L << 12, 48);
    }

    @Test
    void aColdFourLevelOverFourLevelWalkWithFourKibPagesReadsTwentyFour() {
        NestedWalkFixture n = fourKOverFourK();
        long leaf = n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        assertEquals(DATA_IPA | TABLE | AP1 | SH_INNER | AF | PXN | UXN, n.read(leaf));
        assertEquals(n.tableIpa(IOVA, 0) | TABLE, n.read(n.descriptorIpa(IOVA, 1)), "a bare table descriptor");
        assertTrue(n.walker.translate(n.nested(), IOVA + 0x123, Access.READ | Access.WRITE, n.result),
                n.result.toString());
        assertEquals(0x1_0080_0123L, n.result.outputAddress());
        assertEquals(12, n.result.pageShift());
        assertEquals(Permission.READ | Permission.WRITE | Permission.PRIV | Permission.USER, n.result.permissions());
        assertEquals(24, n.result.memoryReads(), "(4+1)(4+1)-1");
        assertEquals(0, n.result.memoryWrites(), "no HTTU: nothing written");
    }

    @Test
    void mixedGranulesAndConcatenatedRootsReadOnePerLevelOfEachStage() {
        // 64 KiB stage 1 (3 levels, 6-bit root) over 4 KiB stage 2 (4 levels)
        NestedWalkFixture a = new NestedWalkFixture(RealFormats.vmsaStage1(GRANULE_64K, 16, false, false, false),
                s2x4k, 1L << 12, 48);
        a.mapStage1(IOVA, DATA_IPA, 0, RWU);
        assertTrue(a.walker.translate(a.nested(), IOVA + 0x10, Access.READ, a.result), a.result.toString());
        assertEquals(GUEST_RAM + DATA_IPA + 0x7010, a.result.outputAddress(), "IOVA bits 15:0 pass through");
        assertEquals(12, a.result.pageShift(), "the stage-2 page is the smaller");
        assertEquals(19, a.result.memoryReads(), "(3+1)(4+1)-1");

        // 4 KiB stage 1 (4 levels) over 16 KiB stage 2 (3 levels, two concatenated roots)
        FormatUnderTest s2x16k = RealFormats.vmsaStage2(GRANULE_16K, 16, 2, false, false, false);
        assertEquals(2, s2x16k.format().rootTableCount());
        NestedWalkFixture b = new NestedWalkFixture(s1x4k, s2x16k, 1L << 14, 48);
        b.mapStage1(IOVA, DATA_IPA, 0, RWU);
        assertTrue(b.walker.translate(b.nested(), IOVA + 0x10, Access.READ, b.result), b.result.toString());
        assertEquals(GUEST_RAM + DATA_IPA + 0x10, b.result.outputAddress());
        assertEquals(12, b.result.pageShift());
        assertEquals(19, b.result.memoryReads(), "(4+1)(3+1)-1");

        // 16 KiB stage 1 (4 levels, 1-bit root) over 64 KiB stage 2 (2 levels, 16 concatenated roots)
        FormatUnderTest s2x64k = RealFormats.vmsaStage2(GRANULE_64K, 18, 1, false, false, false);
        assertEquals(16, s2x64k.format().rootTableCount());
        NestedWalkFixture c = new NestedWalkFixture(RealFormats.vmsaStage1(GRANULE_16K, 16, false, false, false),
                s2x64k, 1L << 16, 48);
        c.mapStage1(IOVA, DATA_IPA, 0, RWU);
        assertTrue(c.walker.translate(c.nested(), IOVA + 0x10, Access.READ, c.result), c.result.toString());
        assertEquals(GUEST_RAM + DATA_IPA + 0x3010, c.result.outputAddress(), "IOVA bits 13:0 pass through");
        assertEquals(14, c.result.pageShift());
        assertEquals(14, c.result.memoryReads(), "(4+1)(2+1)-1");
    }

    @Test
    void blocksShortenTheWalks() {
        NestedWalkFixture n = fourKOverFourK();
        long block2m = n.mapStage1(IOVA, DATA_IPA, 1, RWU);
        assertEquals(DATA_IPA | VALID | AP1 | SH_INNER | AF | PXN | UXN, n.read(block2m), "block: type 01");
        assertTrue(n.walker.translate(n.nested(), IOVA, Access.READ, n.result), n.result.toString());
        assertEquals(GUEST_RAM + DATA_IPA + 0x16_7000, n.result.outputAddress());
        assertEquals(3 * 5 + 4, n.result.memoryReads());
        long iova1g = 0x40_0123_4000L;
        n.mapStage1(iova1g, 0, 2, RWU);
        assertTrue(n.walker.translate(n.nested(), iova1g + 0x10, Access.READ, n.result), n.result.toString());
        assertEquals(GUEST_RAM + 0x123_4010, n.result.outputAddress());
        assertEquals(2 * 5 + 4, n.result.memoryReads());

        // a 512 MiB block of a 64 KiB stage 1 (VMSA level 2), IPA 0
        NestedWalkFixture m = new NestedWalkFixture(RealFormats.vmsaStage1(GRANULE_64K, 16, false, false, false),
                s2x4k, 1L << 12, 48);
        long iova512m = 0x12_2000_0000L;
        m.mapStage1(iova512m, 0, 1, RWU);
        assertTrue(m.walker.translate(m.nested(), iova512m + 0x123_4560, Access.READ, m.result), m.result.toString());
        assertEquals(GUEST_RAM + 0x123_4560, m.result.outputAddress());
        assertEquals(2 * 5 + 4, m.result.memoryReads());
    }

    @Test
    void stageOneTranslationFaults() {
        NestedWalkFixture n = fourKOverFourK();
        n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        TranslationConfig c = n.nested();
        long l1 = n.descriptorIpa(IOVA, 1);
        long l1Value = n.read(l1);
        n.write(l1, l1Value & ~VALID);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.TRANSLATION, 1, IOVA, false);
        n.write(l1, l1Value);
        // a block at VMSA level 0 does not exist with a 4 KiB granule
        long root = n.descriptorIpa(IOVA, 3);
        long rootValue = n.read(root);
        n.write(root, rootValue & ~2L);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.TRANSLATION, 3, IOVA, false);
        n.write(root, rootValue);
        // type 01 at VMSA level 3 is reserved
        long leaf = n.descriptorIpa(IOVA, 0);
        n.write(leaf, n.read(leaf) & ~2L);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.TRANSLATION, 0, IOVA, false);
    }

    @Test
    void stageOneAddressSizeFaults() {
        // CD.IPS capped to 40 bits: table and output addresses at or above 2^40 are address-size faults
        VmsaGeometry g = VmsaGeometry.stage1(GRANULE_4K, 25); // 39-bit input, 3 levels
        FormatUnderTest s1 = new FormatUnderTest("vmsa-s1 4K/39-bit ips40", TranslationMode.STAGE1,
                new VmsaStage1Format(g, 40, false, false), false);
        NestedWalkFixture n = new NestedWalkFixture(s1, s2x4k, 1L << 12, 48);
        long iova = 0x12_3456_7000L & ((1L << 39) - 1);
        long leaf = n.mapStage1(iova, DATA_IPA, 0, RWU);
        TranslationConfig c = n.nested();
        assertTrue(n.walker.translate(c, iova, Access.READ, n.result), n.result.toString());
        assertEquals(19, n.result.memoryReads(), "(3+1)(4+1)-1");
        long l1 = n.descriptorIpa(iova, 1);
        long l1Value = n.read(l1);
        n.write(l1, l1Value | 1L << 44);
        n.expectFault(c, iova, Access.READ, FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, 1, iova, false);
        n.write(l1, l1Value);
        n.write(leaf, n.read(leaf) | 1L << 40);
        n.expectFault(c, iova, Access.READ, FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, 0, iova, false);
        // an input outside T0SZ: no descriptor is read
        n.expectFault(c, 1L << 39, Access.READ, FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, -1, 1L << 39, false);
        assertEquals(0, n.result.memoryReads());
    }

    @Test
    void accessFlagFaultsWithoutHardwareManagementAndUpdatesWithIt() {
        NestedWalkFixture n = fourKOverFourK();
        long leaf = n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        n.write(leaf, n.read(leaf) & ~AF);
        n.expectFault(n.nested(), IOVA, Access.READ, FaultStage.STAGE1, FaultReason.ACCESS_FLAG, 0, IOVA, false);
        // a block with AF clear faults at its own level
        long block = n.mapStage1(0x40_0000_0000L, 0, 2, RWU);
        n.write(block, n.read(block) & ~AF);
        n.expectFault(n.nested(), 0x40_0000_0000L, Access.READ, FaultStage.STAGE1, FaultReason.ACCESS_FLAG, 2,
                0x40_0000_0000L, false);

        // CD.HA: the walk sets AF in the leaf instead; CD.HD: a DBM leaf is writable-clean (AP[2] = 1)
        // and the first write makes it dirty by clearing AP[2]
        FormatUnderTest s1hd = RealFormats.vmsaStage1(GRANULE_4K, 16, true, true, false);
        NestedWalkFixture h = new NestedWalkFixture(s1hd, s2x4k, 1L << 12, 48);
        long hl = h.mapStage1(IOVA, DATA_IPA, 0, RWU);
        long dbm = 1L << 51;
        assertEquals(dbm | AP2, h.read(hl) & (dbm | AP2), "writable-clean");
        h.write(hl, h.read(hl) & ~AF);
        assertTrue(h.walker.translate(h.nested(), IOVA, Access.READ, h.result), h.result.toString());
        assertEquals(AF | AP2, h.read(hl) & (AF | AP2), "AF set by the read, still clean");
        assertTrue(h.walker.translate(h.nested(), IOVA, Access.WRITE, h.result), h.result.toString());
        assertEquals(AF, h.read(hl) & (AF | AP2), "the write cleared AP[2]: dirty");
    }

    @Test
    void stageOnePermissionFaults() {
        NestedWalkFixture n = fourKOverFourK();
        long leaf = n.mapStage1(IOVA, DATA_IPA, 0, Permission.READ); // AP[2] = 1, AP[1] = 0, PXN, UXN
        n.remapStage2(DATA_IPA, 0x1000, GUEST_RAM + DATA_IPA, Permission.ALL); // stage 2 allows execution
        TranslationConfig c = n.nested();
        int privRead = Access.READ | Access.PRIV;
        assertTrue(n.walker.translate(c, IOVA, privRead, n.result));
        n.expectFault(c, IOVA, Access.WRITE | Access.PRIV, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA, false);
        n.expectFault(c, IOVA + 8, Access.READ, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA + 8, false);
        n.expectFault(c, IOVA, privRead | Access.EXEC, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA, false);
        // everything allowed in the leaf (EL0 read-write; privileged execute is never allowed on
        // EL0-writable memory), then restricted by the level-2 table descriptor
        n.write(leaf, DATA_IPA | TABLE | AP1 | AF);
        assertTrue(n.walker.translate(c, IOVA, Access.READ | Access.WRITE | Access.EXEC, n.result));
        n.expectFault(c, IOVA, privRead | Access.EXEC, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA, false);
        long l2 = n.descriptorIpa(IOVA, 2);
        long l2Value = n.read(l2);
        n.write(l2, l2Value | AP_TABLE_NO_WRITE);
        n.expectFault(c, IOVA, Access.WRITE, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA, false);
        n.write(l2, l2Value | AP_TABLE_NO_EL0);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA, false);
        assertTrue(n.walker.translate(c, IOVA, privRead, n.result));
        n.write(l2, l2Value | UXN_TABLE);
        n.expectFault(c, IOVA, Access.READ | Access.EXEC, FaultStage.STAGE1, FaultReason.PERMISSION, 0, IOVA, false);
        // CD.HAD0: the same table bits are ignored
        NestedWalkFixture had = new NestedWalkFixture(RealFormats.vmsaStage1(GRANULE_4K, 16, false, false, true),
                s2x4k, 1L << 12, 48);
        had.mapStage1(IOVA, DATA_IPA, 0, RWU);
        long hl2 = had.descriptorIpa(IOVA, 2);
        had.write(hl2, had.read(hl2) | AP_TABLE_NO_WRITE | AP_TABLE_NO_EL0 | UXN_TABLE | PXN_TABLE);
        assertTrue(had.walker.translate(had.nested(), IOVA, Access.READ | Access.WRITE, had.result),
                had.result.toString());
    }

    @Test
    void stageTwoFaultsDuringAStageOneTableFetchAreAttributedToIt() {
        NestedWalkFixture n = fourKOverFourK();
        n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        TranslationConfig c = n.nested();
        long l2 = n.descriptorIpa(IOVA, 2);
        long l2Value = n.read(l2);
        long unmapped = RAM_SIZE + 0x5000;
        n.write(l2, unmapped | TABLE);
        long descIpa = unmapped + 8L * TableGeometry.index(s1x4k.format(), 1, IOVA);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.TRANSLATION, 1, descIpa, true);
        assertEquals(5 + 5 + 3, n.result.memoryReads());
        n.write(l2, l2Value);
        long l0Table = n.tableIpa(IOVA, 0);
        long leaf = n.entryIpa(l0Table, 0, IOVA);
        // S2AP write-only on the page holding the leaf table: the fetch needs read
        n.remapStage2(l0Table, 0x1000, GUEST_RAM + l0Table, Permission.WRITE);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.PERMISSION, 0, leaf, true);
        // that page's stage-2 leaf with AF clear (STE.S2HA off): a stage-2 access-flag fault on the fetch
        n.remapStage2(l0Table, 0x1000, GUEST_RAM + l0Table, Permission.READ | Permission.WRITE);
        long s2Leaf = n.stage2LeafDescriptor(l0Table);
        n.memory.write64(s2Leaf, n.memory.read64(s2Leaf) & ~AF);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.ACCESS_FLAG, 0, leaf, true);
    }

    @Test
    void stageTwoFaultsOnTheOutputCarryTheIpa() {
        NestedWalkFixture n = fourKOverFourK();
        n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        TranslationConfig c = n.nested();
        n.remapStage2(DATA_IPA, 0x1000, GUEST_RAM + DATA_IPA, Permission.READ);
        n.expectFault(c, IOVA + 0x10, Access.WRITE, FaultStage.STAGE2, FaultReason.PERMISSION, 0, DATA_IPA + 0x10,
                false);
        long s2Leaf = n.stage2LeafDescriptor(DATA_IPA);
        n.memory.write64(s2Leaf, n.memory.read64(s2Leaf) & ~AF);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.ACCESS_FLAG, 0, DATA_IPA, false);
        n.stage2.unmap(DATA_IPA, 0x1000);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.TRANSLATION, 0, DATA_IPA, false);
    }

    @Test
    void stageTwoAddressSizeFaults() {
        // a 40-bit IPA space (S2T0SZ 24, two concatenated level-1 roots) and S2PS capped to 40 bits
        VmsaGeometry g = VmsaGeometry.stage2(GRANULE_4K, 24, 1);
        FormatUnderTest s2 = new FormatUnderTest("vmsa-s2 " + g + " ps40", TranslationMode.STAGE2,
                new VmsaStage2Format(g, 40, false, false), false);
        NestedWalkFixture n = new NestedWalkFixture(s1x4k, s2, 1L << 12, 48);
        long leaf = n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        TranslationConfig c = n.nested();
        assertTrue(n.walker.translate(c, IOVA, Access.READ, n.result), n.result.toString());
        assertEquals(19, n.result.memoryReads(), "(4+1)(3+1)-1");
        // the stage-1 output beyond the stage-2 input size
        n.write(leaf, n.read(leaf) | 1L << 41);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.ADDRESS_SIZE, -1, DATA_IPA | 1L << 41,
                false);
        n.write(leaf, n.read(leaf) & ~(1L << 41));
        // a stage-2 leaf whose output is beyond S2PS
        long s2Leaf = n.stage2LeafDescriptor(DATA_IPA);
        n.memory.write64(s2Leaf, n.memory.read64(s2Leaf) | 1L << 44);
        n.expectFault(c, IOVA, Access.READ, FaultStage.STAGE2, FaultReason.ADDRESS_SIZE, 0, DATA_IPA, false);
    }

    @Test
    void externalAbortsOnEitherStage() {
        NestedWalkFixture n = new NestedWalkFixture(s1x4k, s2x4k, 1L << 12, 40);
        n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        n.expectFault(n.nested(STAGE1_ROOT, 1L << 41), IOVA, Access.READ, FaultStage.STAGE2,
                FaultReason.EXTERNAL_ABORT, 3, STAGE1_ROOT + 8L * TableGeometry.index(s1x4k.format(), 3, IOVA), true);
        long l0Table = n.tableIpa(IOVA, 0);
        n.remapStage2(l0Table, 0x1000, 1L << 41, Permission.READ | Permission.WRITE);
        n.expectFault(n.nested(), IOVA, Access.READ, FaultStage.STAGE1, FaultReason.EXTERNAL_ABORT, 0, IOVA, false);
    }

    /**
     * With CD.HA the SMMU sets AF in block and page descriptors only: a VMSAv8-64 table descriptor
     * has no AF (bit 10 is IGNORED there, free for software). The walker asks the format
     * {@code accessed(d)} / {@code withAccessed(d)} without a level, so it cannot tell a table from a
     * page (both are type 11) and writes bit 10 into every table descriptor on the way: a write the
     * hardware never does, which also needs stage-2 write permission on the guest's table pages.
     * Kept disabled until the additive level-taking SPI methods exist (see the issue-3 note).
     */
    @Test
    void hardwareAccessFlagUpdatesTouchOnlyLeaves() {
        NestedWalkFixture n = new NestedWalkFixture(RealFormats.vmsaStage1(GRANULE_4K, 16, true, false, false),
                s2x4k, 1L << 12, 48);
        long leaf = n.mapStage1(IOVA, DATA_IPA, 0, RWU);
        n.write(leaf, n.read(leaf) & ~AF);
        assertTrue(n.walker.translate(n.nested(), IOVA, Access.READ, n.result), n.result.toString());
        assertEquals(AF, n.read(leaf) & AF, "the page descriptor's AF was set");
        assertEquals(1, n.result.memoryWrites(), "one write: the leaf");
        for (int level = 3; level > 0; level--) {
            assertEquals(n.tableIpa(IOVA, level - 1) | TABLE, n.read(n.descriptorIpa(IOVA, level)),
                    "the level-" + level + " table descriptor is untouched");
        }
    }
}
