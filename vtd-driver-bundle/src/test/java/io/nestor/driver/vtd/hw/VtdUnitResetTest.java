package io.nestor.driver.vtd.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.UnitFeatures;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.TestUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Reset values of a VT-d unit. Fields are decoded here with literal shifts and masks taken from the
 * specification tables (hw-formats.md 1.1, Linux intel/iommu.h cap_* / ecap_* macros), not with the
 * production field constants, so a wrong bit position in production code fails these tests.
 */
class VtdUnitResetTest {

    private static TestUnit resetUnit(Features f) {
        TestUnit unit = TestUnit.of(f.build());
        VtdUnitReset.reset(unit);
        return unit;
    }

    private static long cap(TestUnit u) {
        return u.registers().read64(0x08);
    }

    private static long ecap(TestUnit u) {
        return u.registers().read64(0x10);
    }

    private static long bits(long v, int msb, int lsb) {
        return (v >>> lsb) & ((1L << (msb - lsb + 1)) - 1);
    }

    @Test
    void versionIsSixZeroAndGlobalCommandAndStatusAreClear() {
        TestUnit u = resetUnit(Features.typical());
        int ver = u.registers().read32(0x00);
        assertEquals(6, (ver >> 4) & 0xF, "VER.MAX");
        assertEquals(0, ver & 0xF, "VER.MIN");
        assertEquals(0, u.registers().read32(0x18), "GCMD");
        assertEquals(0, u.registers().read32(0x1C), "GSTS");
        assertEquals(0L, u.registers().read64(0x20), "RTADDR");
        assertEquals(0x80000000, u.registers().read32(0x38), "FECTL.IM set at reset");
        assertEquals(0x80000000, u.registers().read32(0xA0), "IECTL.IM set at reset");
        assertEquals(0x80000000, u.registers().read32(0xE0), "PECTL.IM set at reset");
    }

    @Test
    void resetClearsStaleRegisterContent() {
        TestUnit unit = TestUnit.of(Features.typical().build());
        unit.registers().write32(0x1C, 0x80000000);
        unit.registers().write64(0x600, -1L);
        VtdUnitReset.reset(unit);
        assertEquals(0, unit.registers().read32(0x1C));
        assertEquals(0L, unit.registers().read64(0x600));
    }

    @ParameterizedTest(name = "domainIdBits {0} -> ND {1}")
    @CsvSource({"4,0", "8,2", "12,4", "16,6"})
    void numberOfDomainsFollowsDomainIdWidth(int domainIdBits, int nd) {
        Features f = Features.typical();
        f.domainIdBits = domainIdBits;
        long cap = cap(resetUnit(f));
        assertEquals(nd, bits(cap, 2, 0), "CAP.ND");
        assertEquals(1L << domainIdBits, 1L << (4 + 2 * bits(cap, 2, 0)), "2^(4+2*ND) domains");
    }

    @ParameterizedTest(name = "input {0} bits -> SAGAW {1}, MGAW {2}")
    @CsvSource({"39,2,38", "48,6,47", "52,6,51", "57,14,56", "64,14,63"})
    void addressWidths(int inputBits, int sagaw, int mgaw) {
        Features f = Features.typical();
        f.inputAddressBits = inputBits;
        long cap = cap(resetUnit(f));
        assertEquals(sagaw, bits(cap, 12, 8), "CAP.SAGAW");
        assertEquals(mgaw, bits(cap, 21, 16), "CAP.MGAW");
    }

    @ParameterizedTest(name = "pageSizes 0x{0} -> SLLPS {1}, FL1GP {2}")
    @CsvSource({"1000,0,0", "201000,1,0", "40201000,3,1", "40001000,2,1"})
    void largePagesFollowPageSizes(String pageSizesHex, int sllps, int fl1gp) {
        Features f = Features.typical();
        f.pageSizes = Long.parseLong(pageSizesHex, 16);
        long cap = cap(resetUnit(f));
        assertEquals(sllps, bits(cap, 37, 34), "CAP.SLLPS");
        assertEquals(fl1gp, bits(cap, 56, 56), "CAP.FL1GP");
    }

    @Test
    void fixedCapabilityFields() {
        Features f = Features.typical();
        f.cachingMode = true;
        f.fiveLevelStage1 = true;
        long cap = cap(resetUnit(f));
        assertEquals(1, bits(cap, 7, 7), "CAP.CM");
        assertEquals(1, bits(cap, 60, 60), "CAP.FL5LP");
        assertEquals(1, bits(cap, 39, 39), "CAP.PSI");
        assertEquals(18, bits(cap, 53, 48), "CAP.MAMV");
        assertEquals(0, bits(cap, 4, 4), "CAP.RWBF");

        f.cachingMode = false;
        f.fiveLevelStage1 = false;
        cap = cap(resetUnit(f));
        assertEquals(0, bits(cap, 7, 7), "CAP.CM");
        assertEquals(0, bits(cap, 60, 60), "CAP.FL5LP");
    }

    @Test
    void faultRecordingAndIotlbRegistersLieInsideTheRegisterFileAndApart() {
        TestUnit u = resetUnit(Features.typical());
        long cap = cap(u);
        long ecap = ecap(u);
        long fro = bits(cap, 33, 24) * 16;
        long nfr = bits(cap, 47, 40) + 1;
        long iro = bits(ecap, 17, 8) * 16;
        assertEquals(0x600, fro);
        assertEquals(8, nfr);
        assertEquals(0x500, iro);
        assertTrue(fro + nfr * 16 <= u.registers().size());
        assertTrue(iro + 16 <= fro, "IOTLB block ends before the fault records");
        assertTrue(iro >= 0x440, "IOTLB block clear of the ECMD registers (0x400..0x438)");
    }

    @Test
    void extendedCapabilitiesWithEverythingOn() {
        long ecap = ecap(resetUnit(Features.typical()));
        assertEquals(1, bits(ecap, 1, 1), "QI");
        assertEquals(1, bits(ecap, 2, 2), "DT");
        assertEquals(0, bits(ecap, 3, 3), "IR not emulated");
        assertEquals(1, bits(ecap, 6, 6), "PT");
        assertEquals(1, bits(ecap, 7, 7), "SC");
        assertEquals(1, bits(ecap, 26, 26), "NEST");
        assertEquals(1, bits(ecap, 29, 29), "PRS");
        assertEquals(1, bits(ecap, 31, 31), "SRS");
        assertEquals(19, bits(ecap, 39, 35), "PSS = pasidBits - 1");
        assertEquals(1, bits(ecap, 40, 40), "PASID");
        assertEquals(1, bits(ecap, 42, 42), "PDS");
        assertEquals(1, bits(ecap, 43, 43), "SMTS");
        assertEquals(1, bits(ecap, 45, 45), "SSADS");
        assertEquals(1, bits(ecap, 46, 46), "SSTS");
        assertEquals(1, bits(ecap, 47, 47), "FSTS");
        assertEquals(1, bits(ecap, 48, 48), "SMPWCS");
        assertEquals(1, bits(ecap, 49, 49), "RPS");
    }

    @Test
    void extendedCapabilitiesWithOptionalFeaturesOff() {
        Features f = Features.typical();
        f.nesting = false;
        f.pasidBits = 0;
        f.pageRequests = false;
        f.deviceTlb = false;
        f.dirtyTracking = false;
        long ecap = ecap(resetUnit(f));
        assertEquals(0, bits(ecap, 2, 2), "DT");
        assertEquals(0, bits(ecap, 26, 26), "NEST");
        assertEquals(0, bits(ecap, 29, 29), "PRS");
        assertEquals(0, bits(ecap, 39, 35), "PSS");
        assertEquals(0, bits(ecap, 40, 40), "PASID");
        assertEquals(0, bits(ecap, 42, 42), "PDS");
        assertEquals(0, bits(ecap, 45, 45), "SSADS");
        assertEquals(1, bits(ecap, 43, 43), "SMTS stays");
        assertEquals(1, bits(ecap, 1, 1), "QI stays");
    }

    @ParameterizedTest(name = "pasidBits {0} -> PSS {1}")
    @CsvSource({"1,0", "8,7", "16,15", "20,19"})
    void pasidSize(int pasidBits, int pss) {
        Features f = Features.typical();
        f.pasidBits = pasidBits;
        long ecap = ecap(resetUnit(f));
        assertEquals(pss, bits(ecap, 39, 35));
        assertEquals(1, bits(ecap, 40, 40));
    }

    @ParameterizedTest(name = "domainIdBits {0} rejected")
    @CsvSource({"1", "3", "5", "9", "15"})
    void domainIdWidthWithoutNdEncodingIsRejectedWithoutTouchingRegisters(int domainIdBits) {
        Features f = Features.typical();
        f.domainIdBits = domainIdBits;
        TestUnit unit = TestUnit.of(f.build());
        unit.registers().write64(0x08, 0x1234L);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VtdUnitReset.reset(unit));
        assertTrue(e.getMessage().contains("domainIdBits"), e.getMessage());
        assertTrue(e.getMessage().contains(Integer.toString(domainIdBits)), e.getMessage());
        assertEquals(0x1234L, unit.registers().read64(0x08), "no partial reset");
    }

    @Test
    void inputWidthBelowThreeLevelSecondStageIsRejected() {
        Features f = Features.typical();
        f.inputAddressBits = 38;
        TestUnit unit = TestUnit.of(f.build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VtdUnitReset.reset(unit));
        assertTrue(e.getMessage().contains("38"), e.getMessage());
    }

    @Test
    void registerFileTooSmallIsRejected() {
        TestUnit unit = new TestUnit("dmar9", Features.typical().build(), new io.nestor.testkit.ArrayRegisterFile(0x640));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VtdUnitReset.reset(unit));
        assertTrue(e.getMessage().contains("dmar9"), e.getMessage());
    }

    @Test
    void resetDoesNotDependOnAnythingButFeatures() {
        UnitFeatures features = Features.typical().build();
        TestUnit a = TestUnit.of(features);
        TestUnit b = TestUnit.of(features);
        VtdUnitReset.reset(a);
        b.registers().write64(0x08, -1L);
        VtdUnitReset.reset(b);
        assertEquals(cap(a), cap(b));
        assertEquals(ecap(a), ecap(b));
    }
}
