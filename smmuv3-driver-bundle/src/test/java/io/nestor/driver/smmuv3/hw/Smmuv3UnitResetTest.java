package io.nestor.driver.smmuv3.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.UnitFeatures;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.TestUnit;
import io.nestor.testkit.ArrayRegisterFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Reset values of an SMMUv3. Fields are decoded with literal shifts and masks from the specification
 * tables (hw-formats.md 2.1, Linux arm-smmu-v3.h IDRn_* masks), not with the production field
 * constants, so a wrong bit position in production code fails these tests.
 */
class Smmuv3UnitResetTest {

    private static TestUnit resetUnit(Features f) {
        TestUnit unit = TestUnit.of(f.build());
        Smmuv3UnitReset.reset(unit);
        return unit;
    }

    private static int idr(TestUnit u, int n) {
        return u.registers().read32(4 * n);
    }

    private static int bits(int v, int msb, int lsb) {
        return (int) ((Integer.toUnsignedLong(v) >>> lsb) & ((1L << (msb - lsb + 1)) - 1));
    }

    @Test
    void idr0FixedFields() {
        int idr0 = idr(resetUnit(Features.typical()), 0);
        assertEquals(1, bits(idr0, 1, 1), "S1P");
        assertEquals(2, bits(idr0, 3, 2), "TTF = AArch64");
        assertEquals(1, bits(idr0, 4, 4), "COHACC");
        assertEquals(1, bits(idr0, 13, 13), "MSI");
        assertEquals(1, bits(idr0, 19, 19), "CD2L");
        assertEquals(2, bits(idr0, 22, 21), "TTENDIAN = little-endian");
        assertEquals(1, bits(idr0, 26, 26), "TERM_MODEL");
        assertEquals(1, bits(idr0, 28, 27), "ST_LEVEL = two-level");
        assertEquals(0, bits(idr0, 9, 9), "HYP");
        assertEquals(0, bits(idr0, 5, 5), "BTM");
    }

    @Test
    void idr0WithOptionalFeaturesOn() {
        Features f = Features.typical();
        f.stall = true;
        int idr0 = idr(resetUnit(f), 0);
        assertEquals(1, bits(idr0, 0, 0), "S2P (nesting)");
        assertEquals(2, bits(idr0, 7, 6), "HTTU = access + dirty");
        assertEquals(1, bits(idr0, 10, 10), "ATS");
        assertEquals(1, bits(idr0, 12, 12), "ASID16");
        assertEquals(1, bits(idr0, 16, 16), "PRI");
        assertEquals(1, bits(idr0, 18, 18), "VMID16");
        assertEquals(0, bits(idr0, 25, 24), "STALL_MODEL = stall and terminate");
    }

    @Test
    void idr0WithOptionalFeaturesOff() {
        Features f = Features.typical();
        f.nesting = false;
        f.dirtyTracking = false;
        f.deviceTlb = false;
        f.pageRequests = false;
        f.domainIdBits = 8;
        f.stall = false;
        int idr0 = idr(resetUnit(f), 0);
        assertEquals(0, bits(idr0, 0, 0), "S2P");
        assertEquals(1, bits(idr0, 1, 1), "S1P stays");
        assertEquals(1, bits(idr0, 7, 6), "HTTU = access flag only");
        assertEquals(0, bits(idr0, 10, 10), "ATS");
        assertEquals(0, bits(idr0, 12, 12), "ASID16");
        assertEquals(0, bits(idr0, 16, 16), "PRI");
        assertEquals(0, bits(idr0, 18, 18), "VMID16");
        assertEquals(1, bits(idr0, 25, 24), "STALL_MODEL = terminate only");
    }

    @ParameterizedTest(name = "streamIdBits {0}, pasidBits {1}, PRI {2}")
    @CsvSource({"16,20,true,19", "32,0,false,0", "8,5,true,19", "0,20,false,0"})
    void idr1Widths(int streamIdBits, int pasidBits, boolean pri, int priqs) {
        Features f = Features.typical();
        f.streamIdBits = streamIdBits;
        f.pasidBits = pasidBits;
        f.pageRequests = pri;
        int idr1 = idr(resetUnit(f), 1);
        assertEquals(streamIdBits, bits(idr1, 5, 0), "SIDSIZE");
        assertEquals(pasidBits, bits(idr1, 10, 6), "SSIDSIZE");
        assertEquals(priqs, bits(idr1, 15, 11), "PRIQS");
        assertEquals(19, bits(idr1, 20, 16), "EVENTQS");
        assertEquals(19, bits(idr1, 25, 21), "CMDQS");
        assertEquals(0, bits(idr1, 30, 29), "tables and queues not preset");
    }

    @Test
    void idr3OffersRangeInvalidationOnly() {
        TestUnit u = resetUnit(Features.typical());
        assertEquals(1 << 10, idr(u, 3), "RIL");
        assertEquals(0, idr(u, 2));
        assertEquals(0, idr(u, 4));
    }

    @ParameterizedTest(name = "OAS {0} bits -> {1}")
    @CsvSource({"32,0", "36,1", "40,2", "42,3", "44,4", "48,5", "52,6"})
    void outputAddressSizeEncoding(int outputBits, int oas) {
        Features f = Features.typical();
        f.outputAddressBits = outputBits;
        assertEquals(oas, bits(idr(resetUnit(f), 5), 2, 0));
    }

    @ParameterizedTest(name = "OAS {0} bits rejected")
    @CsvSource({"33", "39", "46", "50"})
    void outputWidthWithoutEncodingIsRejectedWithoutTouchingRegisters(int outputBits) {
        Features f = Features.typical();
        f.outputAddressBits = outputBits;
        TestUnit unit = TestUnit.of(f.build());
        unit.registers().write32(0x14, 0xABCD);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Smmuv3UnitReset.reset(unit));
        assertTrue(e.getMessage().contains("outputAddressBits " + outputBits), e.getMessage());
        assertEquals(0xABCD, unit.registers().read32(0x14), "no partial reset");
    }

    @ParameterizedTest(name = "pageSizes 0x{0} -> 4K {1} 16K {2} 64K {3}")
    @CsvSource({"40201000,1,0,0", "2004000,0,1,0", "20010000,0,0,1", "40215000,1,1,1"})
    void granulesFollowPageSizes(String pageSizesHex, int g4, int g16, int g64) {
        Features f = Features.typical();
        f.pageSizes = Long.parseLong(pageSizesHex, 16);
        int idr5 = idr(resetUnit(f), 5);
        assertEquals(g4, bits(idr5, 4, 4), "GRAN4K");
        assertEquals(g16, bits(idr5, 5, 5), "GRAN16K");
        assertEquals(g64, bits(idr5, 6, 6), "GRAN64K");
    }

    @Test
    void pageSizesWithoutAGranuleAreRejected() {
        Features f = Features.typical();
        f.pageSizes = UnitFeatures.SIZE_2M | UnitFeatures.SIZE_1G;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Smmuv3UnitReset.reset(TestUnit.of(f.build())));
        assertTrue(e.getMessage().contains("granule"), e.getMessage());
    }

    @Test
    void vaxAndStallMax() {
        Features f = Features.typical();
        f.fiveLevelStage1 = true;
        f.stall = true;
        int idr5 = idr(resetUnit(f), 5);
        assertEquals(1, bits(idr5, 11, 10), "VAX = 52-bit");
        assertEquals(256, bits(idr5, 31, 16), "STALL_MAX");

        f.fiveLevelStage1 = false;
        f.stall = false;
        idr5 = idr(resetUnit(f), 5);
        assertEquals(0, bits(idr5, 11, 10), "VAX = 48-bit");
        assertEquals(0, bits(idr5, 31, 16), "STALL_MAX without stalling");
    }

    @ParameterizedTest(name = "domainIdBits {0} rejected")
    @CsvSource({"1", "4", "12", "15"})
    void domainIdWidthOtherThan8Or16IsRejected(int domainIdBits) {
        Features f = Features.typical();
        f.domainIdBits = domainIdBits;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Smmuv3UnitReset.reset(TestUnit.of(f.build())));
        assertTrue(e.getMessage().contains("got " + domainIdBits), e.getMessage());
    }

    @Test
    void versionAndControlRegistersAtReset() {
        TestUnit unit = TestUnit.of(Features.typical().build());
        unit.registers().write32(0x20, 0xF); // stale CR0 content
        unit.registers().write32(0x60, 1);   // stale GERROR
        Smmuv3UnitReset.reset(unit);
        assertEquals(0, unit.registers().read32(0x18), "IIDR");
        assertEquals(0x02, unit.registers().read32(0x1C), "AIDR = SMMUv3.2");
        assertEquals(0, unit.registers().read32(0x20), "CR0.SMMUEN clear");
        assertEquals(0, unit.registers().read32(0x24), "CR0ACK");
        assertEquals(0x1000, unit.registers().read32(0x44), "GBPA: SHCFG use incoming, ABORT clear");
        assertEquals(0, unit.registers().read32(0x60), "GERROR");
    }

    @Test
    void registerFileSmallerThanTwoPagesIsRejected() {
        TestUnit unit = new TestUnit("smmu7", Features.typical().build(), new ArrayRegisterFile(0x10000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Smmuv3UnitReset.reset(unit));
        assertTrue(e.getMessage().contains("smmu7"), e.getMessage());
    }
}
