package io.nestor.driver.smmuv3.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.TestUnit;
import io.nestor.testkit.MapPhysicalMemory;
import io.nestor.testkit.TestUnitContext.DeliveredResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The command queue through the MMIO write path: commands composed with literal shifts from the
 * specification's field positions (hw-formats.md §2.5, Linux {@code CMDQ_*}), written to memory,
 * consumed by a CMDQ_PROD write; each command's scopes, CONS, CMDQ_CONS.ERR and GERROR checked.
 */
class Smmuv3CommandQueueTest {

    private static final long CMDQ = 0x10000;
    private static final int LOG2 = 4; // 16 commands
    private static final int UNIT_INDEX = 3;

    private final MapPhysicalMemory memory = new MapPhysicalMemory(48);

    private TestUnit unit(Features f) {
        TestUnit unit = TestUnit.withMemory(f.build(), memory);
        unit.index(UNIT_INDEX);
        Smmuv3UnitReset.reset(unit);
        Smmuv3Mmio.write64(unit, 0x90, CMDQ | LOG2); // CMDQ_BASE
        Smmuv3Mmio.write32(unit, 0x98, 0); // CMDQ_PROD
        Smmuv3Mmio.write32(unit, 0x9C, 0); // CMDQ_CONS
        Smmuv3Mmio.write32(unit, 0x20, 1 << 3); // CR0.CMDQEN
        return unit;
    }

    private TestUnit unit() {
        return unit(Features.typical());
    }

    /** Writes the commands from index {@code cons} of the queue and publishes them with PROD. */
    private void submit(TestUnit unit, long... dwords) {
        int prod = unit.registers().read32(0x98);
        for (int i = 0; i < dwords.length; i += 2) {
            long at = CMDQ + 16L * (prod & ((1 << LOG2) - 1));
            memory.write64(at, dwords[i]);
            memory.write64(at + 8, dwords[i + 1]);
            prod = (prod & ~((2 << LOG2) - 1)) | ((prod + 1) & ((2 << LOG2) - 1));
        }
        Smmuv3Mmio.write32(unit, 0x98, prod);
    }

    private static int cons(TestUnit unit) {
        return unit.registers().read32(0x9C);
    }

    private static List<InvalidationScope> scopes(TestUnit unit) {
        return unit.invalidations();
    }

    // ---- configuration invalidation ------------------------------------------------------------

    @Test
    void cfgiSteDropsEveryConfigurationOfTheStream() {
        TestUnit unit = unit();
        submit(unit, 0x03 | 0x123L << 32, 0);
        assertEquals(List.of(new InvalidationScope.DeviceConfig(UNIT_INDEX, 0x123, InvalidationScope.ANY)), scopes(unit));
        assertEquals(1, cons(unit));
    }

    @Test
    void cfgiCdDropsOneSubstreamAndSubstreamZeroAlsoTheRequestsWithoutOne() {
        TestUnit unit = unit();
        submit(unit, 0x05 | 5L << 12 | 0x40L << 32, 1, 0x05 | 0x40L << 32, 0, 0x06 | 0x41L << 32, 0);
        assertEquals(List.of(new InvalidationScope.DeviceConfig(UNIT_INDEX, 0x40, 5),
                new InvalidationScope.DeviceConfig(UNIT_INDEX, 0x40, 0),
                new InvalidationScope.DeviceConfig(UNIT_INDEX, 0x40, -1),
                new InvalidationScope.DeviceConfig(UNIT_INDEX, 0x41, InvalidationScope.ANY)), scopes(unit));
        assertEquals(3, cons(unit));
    }

    @Test
    void cfgiSteRangeCoversTheAlignedSpanAndRange31IsCfgiAll() {
        TestUnit unit = unit();
        // Range 2: 2^3 = 8 StreamIDs from 0x123 aligned down, 0x120..0x127.
        submit(unit, 0x04 | 0x123L << 32, 2);
        assertEquals(8, scopes(unit).size());
        for (int i = 0; i < 8; i++) {
            assertEquals(new InvalidationScope.DeviceConfig(UNIT_INDEX, 0x120 + i, InvalidationScope.ANY), scopes(unit).get(i));
        }
        scopes(unit).clear();
        submit(unit, 0x04, 31, 0x04 | 0x80L << 32, 6); // CFGI_ALL; a 128-stream span
        assertEquals(List.of(new InvalidationScope.UnitConfig(UNIT_INDEX), new InvalidationScope.UnitConfig(UNIT_INDEX)),
                scopes(unit));
    }

    @Test
    void aStreamBeyondSidSizeHasNothingToInvalidate() {
        Features f = Features.typical();
        f.streamIdBits = 8;
        TestUnit unit = unit(f);
        submit(unit, 0x03 | 0x100L << 32, 0);
        assertTrue(scopes(unit).isEmpty());
        assertEquals(1, cons(unit));
    }

    // ---- TLB invalidation ----------------------------------------------------------------------

    @Test
    void nhAllAndNhAsidNameTheVmidAndAsid() {
        TestUnit unit = unit();
        submit(unit, 0x10 | 7L << 32, 0, 0x11 | 7L << 32 | 0x1234L << 48, 0);
        assertEquals(List.of(new InvalidationScope.AddressSpace(UNIT_INDEX, 7, InvalidationScope.ANY),
                new InvalidationScope.AddressSpace(UNIT_INDEX, 7, 0x1234)), scopes(unit));
    }

    @Test
    void eightBitVmidsAndAsidsIgnoreTheHighBitsAndNoStage2MeansVmidZero() {
        Features f = Features.typical();
        f.domainIdBits = 8;
        TestUnit unit = unit(f);
        submit(unit, 0x11 | 0x1207L << 32 | 0x3456L << 48, 0);
        assertEquals(List.of(new InvalidationScope.AddressSpace(UNIT_INDEX, 0x07, 0x56)), scopes(unit));

        Features s1only = Features.typical();
        s1only.nesting = false;
        TestUnit unit2 = unit(s1only);
        submit(unit2, 0x10 | 7L << 32, 0);
        assertEquals(List.of(new InvalidationScope.AddressSpace(UNIT_INDEX, 0, InvalidationScope.ANY)), scopes(unit2));
    }

    @Test
    void nhVaWithoutTgCoversTheAddressAndNhVaaEveryAsid() {
        TestUnit unit = unit();
        // Address 0x1234_5678_9000 in bits 63:12 of dword 1, Leaf 1.
        submit(unit, 0x12 | 7L << 32 | 0x22L << 48, 0x1234_5678_9000L | 1,
                0x13 | 7L << 32, 0x7000_0000L);
        assertEquals(List.of(
                new InvalidationScope.AddressSpaceRange(UNIT_INDEX, 7, 0x22, 0x1234_5678_9000L, 0x1000, true),
                new InvalidationScope.AddressSpaceRange(UNIT_INDEX, 7, InvalidationScope.ANY, 0x7000_0000L, 0x1000, false)),
                scopes(unit));
    }

    @Test
    void rangeInvalidationCoversNumPlusOneTimesTwoToTheScaleGranules() {
        Features f = Features.typical();
        f.pageSizes = UnitFeatures.SIZE_4K | UnitFeatures.SIZE_16K | UnitFeatures.SIZE_64K;
        TestUnit unit = unit(f);
        // TG 1 (4 KiB), NUM 3, SCALE 2: (3 + 1) * 4 = 16 pages = 0x10000 bytes from 0x40000; TTL 3.
        long va4k = 0x12 | 3L << 12 | 2L << 20 | 7L << 32 | 1L << 48;
        // TG 2 (16 KiB), NUM 0, SCALE 5: 32 granules = 0x80000 bytes, address 0x1234_5000 aligned down to 0x1234_4000.
        long vaa16k = 0x13 | 5L << 20 | 7L << 32;
        // TG 3 (64 KiB), NUM 31, SCALE 0: 32 granules = 0x20_0000 bytes of IPA from 0x8000_0000, Leaf 1.
        long ipa64k = 0x2A | 31L << 12 | 9L << 32;
        submit(unit, va4k, 0x40000L | 1L << 10 | 3L << 8,
                vaa16k, 0x1234_5000L | 2L << 10,
                ipa64k, 0x8000_0000L | 3L << 10 | 1);
        assertEquals(List.of(
                new InvalidationScope.AddressSpaceRange(UNIT_INDEX, 7, 1, 0x40000, 0x10000, false),
                new InvalidationScope.AddressSpaceRange(UNIT_INDEX, 7, InvalidationScope.ANY, 0x1234_4000L, 0x80000, false),
                new InvalidationScope.Stage2Range(UNIT_INDEX, 9, 0x8000_0000L, 0x20_0000, true)), scopes(unit));
        assertEquals(3, cons(unit));
    }

    @Test
    void stage2CommandsAndNsnhAll() {
        TestUnit unit = unit();
        // S2_IPA: IPA bits 51:12 only; bit 52 and up of dword 1 are not part of the address.
        submit(unit, 0x28 | 9L << 32, 0, 0x2A | 9L << 32, 0x00F0_0000_0012_3000L, 0x30, 0);
        assertEquals(List.of(new InvalidationScope.Domain(UNIT_INDEX, 9),
                new InvalidationScope.Stage2Range(UNIT_INDEX, 9, 0x12_3000L, 0x1000, false),
                new InvalidationScope.Unit(UNIT_INDEX)), scopes(unit));
    }

    @Test
    void prefetchAndAtcInvAreAcceptedWithoutAScope() {
        TestUnit unit = unit();
        submit(unit, 0x01 | 5L << 32, 0, 0x40 | 5L << 32, 52);
        assertTrue(scopes(unit).isEmpty());
        assertEquals(2, cons(unit));
        assertEquals(0, Smmuv3GlobalErrors.pending(unit.registers()));
    }

    // ---- errors --------------------------------------------------------------------------------

    private static void assertStoppedAt(TestUnit unit, int index, int err) {
        int cons = cons(unit);
        assertEquals(index, cons & 0x1F, "CONS index and wrap");
        assertEquals(err, (cons >>> 24) & 0x7F, "CMDQ_CONS.ERR");
        assertEquals(1, Smmuv3GlobalErrors.pending(unit.registers()) & 1, "GERROR.CMDQ_ERR pending");
    }

    @Test
    void anUnknownOpcodeStopsTheQueueAtItUntilGerrornAcknowledges() {
        TestUnit unit = unit();
        submit(unit, 0x10 | 1L << 32, 0, 0x7F, 0, 0x10 | 2L << 32, 0);
        assertStoppedAt(unit, 1, 1);
        assertEquals(List.of(new InvalidationScope.AddressSpace(UNIT_INDEX, 1, InvalidationScope.ANY)), scopes(unit));

        // More commands do nothing while the error is pending.
        submit(unit, 0x10 | 3L << 32, 0);
        assertEquals(1, scopes(unit).size());
        assertStoppedAt(unit, 1, 1);

        // Software replaces the bad command with a CMD_SYNC (as Linux's __arm_smmu_cmdq_skip_err does)
        // and acknowledges; the queue restarts at it.
        memory.write64(CMDQ + 16, 0x46);
        int gerror = unit.registers().read32(0x60);
        Smmuv3Mmio.write32(unit, 0x64, gerror);
        assertEquals(List.of(new InvalidationScope.AddressSpace(UNIT_INDEX, 1, InvalidationScope.ANY),
                new InvalidationScope.AddressSpace(UNIT_INDEX, 2, InvalidationScope.ANY),
                new InvalidationScope.AddressSpace(UNIT_INDEX, 3, InvalidationScope.ANY)), scopes(unit));
        assertEquals(4, cons(unit) & 0x1F);
        assertEquals(0, Smmuv3GlobalErrors.pending(unit.registers()));
    }

    @Test
    void illegalFieldsAreCerrorIllAndApplyNothing() {
        long[][] bad = {
            {0x12 | 1L << 12, 0x1000}, // NUM without TG
            {0x12 | 1L << 20, 0x1000}, // SCALE without TG
            {0x12, 0x1000 | 3L << 10}, // TG 64 KiB: IDR5 offers only 4 KiB here
            {0x03 | 1L << 10, 0}, // CFGI_STE with SSec
            {0x20, 0}, // TLBI_EL2_ALL without IDR0.HYP
            {0x18, 0}, // TLBI_EL3_ALL
            {0x46 | 3L << 12, 0}, // SYNC with CS 3
            {0x41 | 5L << 32, 3L << 12}, // PRI_RESP with Resp 3
            {0x44 | 5L << 32, 0}, // RESUME without the stall model
        };
        for (long[] cmd : bad) {
            TestUnit unit = unit();
            submit(unit, cmd[0], cmd[1]);
            assertStoppedAt(unit, 0, 1);
            assertTrue(scopes(unit).isEmpty());
            assertTrue(unit.deliveredResponses().isEmpty());
        }
    }

    @Test
    void aRangeRunningPast2To64IsIllegal() {
        TestUnit unit = unit();
        // TG 4 KiB, NUM 31, SCALE 31 from 0xFFFF_FFFF_FFFF_F000: 2^36 pages.
        submit(unit, 0x13 | 31L << 12 | 31L << 20, 0xFFFF_FFFF_FFFF_F000L | 1L << 10);
        assertStoppedAt(unit, 0, 1);
        assertTrue(scopes(unit).isEmpty());
    }

    @Test
    void stage2CommandsNeedStage2() {
        Features f = Features.typical();
        f.nesting = false;
        TestUnit unit = unit(f);
        submit(unit, 0x28 | 1L << 32, 0);
        assertStoppedAt(unit, 0, 1);
        assertTrue(scopes(unit).isEmpty());
    }

    @Test
    void anUnreadableCommandIsCerrorAbt() {
        TestUnit unit = unit();
        Smmuv3Mmio.write32(unit, 0x20, 0);
        Smmuv3Mmio.write64(unit, 0x90, 0xF_FFFF_FFFF_FF00L & ~0x1FL | LOG2); // beyond 48-bit memory
        Smmuv3Mmio.write32(unit, 0x20, 1 << 3);
        Smmuv3Mmio.write32(unit, 0x98, 1);
        assertStoppedAt(unit, 0, 2);
    }

    // ---- queue mechanics -----------------------------------------------------------------------

    @Test
    void consWrapsPastTheLastEntry() {
        TestUnit unit = unit();
        Smmuv3Mmio.write32(unit, 0x20, 0); // disable to place CONS and PROD at entry 15
        Smmuv3Mmio.write32(unit, 0x9C, 15);
        Smmuv3Mmio.write32(unit, 0x98, 15);
        Smmuv3Mmio.write32(unit, 0x20, 1 << 3);
        submit(unit, 0x10 | 1L << 32, 0, 0x10 | 2L << 32, 0); // entries 15 and 0
        assertEquals(0x10 | 1, cons(unit), "wrap bit set, index 1");
        assertEquals(0x10 | 1, unit.registers().read32(0x98));
        assertEquals(List.of(new InvalidationScope.AddressSpace(UNIT_INDEX, 1, InvalidationScope.ANY),
                new InvalidationScope.AddressSpace(UNIT_INDEX, 2, InvalidationScope.ANY)), scopes(unit));
        assertEquals(0x10 | 1L << 32, memory.read64(CMDQ + 15 * 16));
    }

    @Test
    void aDisabledQueueWaitsForCmdqen() {
        TestUnit unit = unit();
        Smmuv3Mmio.write32(unit, 0x20, 0);
        submit(unit, 0x10 | 1L << 32, 0);
        assertTrue(scopes(unit).isEmpty());
        assertEquals(0, cons(unit));
        Smmuv3Mmio.write32(unit, 0x20, 1 << 3);
        assertEquals(1, scopes(unit).size());
        assertEquals(1, cons(unit));
    }

    @Test
    void syncWithSigIrqWritesMsiDataToMsiAddress() {
        TestUnit unit = unit();
        // Linux MSIPOLL: MSIAddr = the CMD_SYNC itself (entry 1), MSIData 0; it polls the low word.
        long syncAt = CMDQ + 16;
        submit(unit, 0x10, 0, 0x46 | 1L << 12 | 3L << 22 | 0xFL << 24, syncAt);
        assertEquals(0, memory.read32(syncAt));
        assertEquals(2, cons(unit));
        // MSIData 0xCAFE to 0x9000 (bits 51:2); CS = SIG_NONE writes nothing.
        submit(unit, 0x46 | 1L << 12 | 0xCAFEL << 32, 0x9000, 0x46 | 0xBEEFL << 32, 0xA000);
        assertEquals(0xCAFE, memory.read32(0x9000));
        assertEquals(0, memory.read32(0xA000));
        assertEquals(4, cons(unit));
    }

    @Test
    void aFailingSyncMsiRaisesMsiCmdqAbtErrAndCompletes() {
        TestUnit unit = unit();
        submit(unit, 0x46 | 1L << 12, 0x000F_FFFF_FFFF_FFFCL);
        assertEquals(1, cons(unit));
        assertEquals(Smmuv3GlobalErrors.MSI_CMDQ_ABT_ERR, Smmuv3GlobalErrors.pending(unit.registers()));
    }

    // ---- responses -----------------------------------------------------------------------------

    @Test
    void priRespAnswersTheDeviceWithThePcieCode() {
        TestUnit unit = unit();
        // SSV, SSID 0x42, SID 0x10; PRGIndex 0x1AB; Resp 2 (success), 0 (deny), 1 (fail).
        long d0 = 0x41 | 1L << 11 | 0x42L << 12 | 0x10L << 32;
        submit(unit, d0, 0x1AB | 2L << 12, 0x41 | 0x10L << 32, 0x7 | 0L << 12, d0, 0x8 | 1L << 12);
        assertEquals(List.of(
                new DeliveredResponse(0x10, new PageResponse(0x42, 0x1AB, false, PageResponseCode.SUCCESS)),
                new DeliveredResponse(0x10, new PageResponse(-1, 0x7, false, PageResponseCode.INVALID)),
                new DeliveredResponse(0x10, new PageResponse(0x42, 0x8, false, PageResponseCode.FAILURE))),
                unit.deliveredResponses());
    }

    @Test
    void resumeRetriesOrAbortsTheStalledTransaction() {
        Features f = Features.typical();
        f.stall = true;
        TestUnit unit = unit(f);
        submit(unit, 0x44 | 1L << 12 | 0x20L << 32, 0xBEEF, 0x44 | 2L << 12 | 0x20L << 32, 0x12,
                0x44 | 0x20L << 32, 0x13, 0x45 | 0x20L << 32, 0);
        assertEquals(List.of(
                new DeliveredResponse(0x20, new PageResponse(-1, 0xBEEF, true, PageResponseCode.SUCCESS)),
                new DeliveredResponse(0x20, new PageResponse(-1, 0x12, true, PageResponseCode.FAILURE)),
                new DeliveredResponse(0x20, new PageResponse(-1, 0x13, true, PageResponseCode.INVALID))),
                unit.deliveredResponses());
        assertEquals(4, cons(unit));
    }
}
