package io.nestor.driver.vtd.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.hw.format.VtdFirstStageFormat;
import io.nestor.driver.vtd.hw.format.VtdSecondStageFormat;
import io.nestor.testkit.ArrayRegisterFile;
import io.nestor.testkit.MapPhysicalMemory;
import org.junit.jupiter.api.Test;

/**
 * Scalable-mode configuration decode over hand-built root, context, PASID-directory and PASID-table
 * structures in a sparse test memory. Layout: root table 0x10000, lower context table 0x20000, upper
 * context table 0x21000, PASID directory 0x30000, PASID table 0x40000. The device is bus 3,
 * devfn 0x10 (RID 0x0310) unless a test says otherwise.
 */
class VtdConfigDecoderTest {

    private static final long ROOT = 0x10000;
    private static final long CTX_LOW = 0x20000;
    private static final long CTX_HIGH = 0x21000;
    private static final long PDIR = 0x30000;
    private static final long PTABLE = 0x40000;
    private static final long S1_ROOT = 0x123000;
    private static final long S2_ROOT = 0x456000;
    private static final int BUS = 3;
    private static final int DEVFN = 0x10;
    private static final int PASID = 0x1234;
    private static final int DID = 0x2A;

    private static final long RTADDR_SCALABLE = 1L << 10;

    private MemoryTestUnit unit = enabledUnit(Features.typical().build());
    private DeviceInfo device = device(BUS, DEVFN);

    // ---- structure builders --------------------------------------------------------------------

    private static MemoryTestUnit enabledUnit(UnitFeatures features) {
        MemoryTestUnit u = MemoryTestUnit.of(features);
        enable(u);
        return u;
    }

    private static void enable(MemoryTestUnit u) {
        VtdUnitReset.reset(u);
        latchRoot(u, ROOT | RTADDR_SCALABLE);
    }

    /** Software's sequence: write RTADDR, then GCMD with SRTP (and TE kept on). */
    private static void latchRoot(MemoryTestUnit u, long rtaddr) {
        VtdMmio.write64(u, VtdRegisterOffsets.RTADDR, rtaddr);
        VtdMmio.write32(u, VtdRegisterOffsets.GCMD, VtdMmio.GCMD_TE | VtdMmio.GCMD_SRTP);
    }

    private static DeviceInfo device(int bus, int devfn) {
        return new DeviceInfo("0000:03:02.0", "dmar0", (bus << 8) | devfn, 20, false, false, true, true);
    }

    private void writeRoot(int bus, long low, long high) {
        unit.memory().write64(ROOT + 16L * bus, low);
        unit.memory().write64(ROOT + 16L * bus + 8, high);
    }

    private void writeContext(long table, int devfn, long q0, long q1) {
        long a = table + 32L * (devfn & 0x7F);
        unit.memory().write64(a, q0);
        unit.memory().write64(a + 8, q1);
    }

    /** Context entry: P, PASIDE, PDTS = 0 (128 directory entries), directory at PDIR. */
    private static long contextQ0() {
        return PDIR | 0x8 | 0x1;
    }

    private void writePasidEntry(int pasid, long q0, long q1, long q2) {
        unit.memory().write64(PDIR + 8L * (pasid >>> 6), PTABLE | 1);
        long a = PTABLE + 64L * (pasid & 0x3F);
        unit.memory().write64(a, q0);
        unit.memory().write64(a + 8, q1);
        unit.memory().write64(a + 16, q2);
    }

    private static long q0(int aw, int pgtt, boolean ssade, long ssptptr) {
        return 1L | ((long) aw << 2) | ((long) pgtt << 6) | (ssade ? 1L << 9 : 0) | ssptptr;
    }

    private static long q2(boolean sre, int fspm, boolean wpe, long fsptptr) {
        return (sre ? 1L : 0) | ((long) fspm << 2) | (wpe ? 1L << 4 : 0) | fsptptr;
    }

    /** A full, valid path to {@link #PASID} in the lower half of bus 3, with the given PASID entry. */
    private void buildPath(long pq0, long pq1, long pq2) {
        writeRoot(BUS, CTX_LOW | 1, 0);
        writeContext(CTX_LOW, DEVFN, contextQ0(), 0);
        writePasidEntry(PASID, pq0, pq1, pq2);
    }

    private TranslationConfig decode(int pasid) throws FaultException {
        return VtdConfigDecoder.decode(unit, device, pasid);
    }

    private int faultCode(int pasid) {
        FaultException e = assertThrows(FaultException.class, () -> decode(pasid));
        Fault f = e.fault();
        assertEquals(FaultStage.CONFIG, f.stage());
        assertEquals(FaultReason.CONFIGURATION, f.reason());
        assertEquals(0, f.access());
        assertEquals(0L, f.iova());
        return f.vendorReason();
    }

    // ---- TES and RTADDR -------------------------------------------------------------------------

    @Test
    void translationDisabledIsBypassWithoutTouchingTables() throws Exception {
        unit = MemoryTestUnit.of(Features.typical().build());
        VtdUnitReset.reset(unit);
        assertEquals(TranslationConfig.bypass(0), decode(DeviceInfo.NO_PASID));
        assertEquals(TranslationConfig.bypass(0), decode(PASID));
    }

    @Test
    void rootTableModeMustBeScalable() {
        latchRoot(unit, ROOT); // TTM 00, legacy
        assertEquals(0x31, faultCode(PASID));
        latchRoot(unit, ROOT | (2L << 10)); // reserved
        assertEquals(0x30, faultCode(PASID));
        latchRoot(unit, ROOT | (3L << 10)); // abort-DMA, no ADMS
        assertEquals(0x30, faultCode(PASID));
    }

    @Test
    void rtaddrWithoutSrtpLeavesTheLatchedRootTable() {
        VtdMmio.write64(unit, VtdRegisterOffsets.RTADDR, ROOT); // legacy TTM, not latched
        assertEquals(ROOT | RTADDR_SCALABLE, unit.registers().read64(VtdRegisterOffsets.LATCHED_ROOT_TABLE));
        assertEquals(ROOT, unit.registers().read64(VtdRegisterOffsets.RTADDR));
        assertEquals(0x39, faultCode(PASID), "walk still starts at the latched scalable root table");
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, VtdMmio.GCMD_TE | VtdMmio.GCMD_SRTP);
        assertEquals(0x31, faultCode(PASID), "after SRTP the legacy TTM applies");
    }

    @Test
    void rootTableAddressAboveHostWidthIsInvalid() {
        latchRoot(unit, (1L << 46) | RTADDR_SCALABLE);
        assertEquals(0x30, faultCode(PASID));
    }

    // ---- PGTT modes ------------------------------------------------------------------------------

    @Test
    void firstStageOnlyDecodesFourLevelFormatRootAndTags() throws Exception {
        buildPath(q0(0, 1, false, 0), DID, q2(true, 0, true, S1_ROOT));
        TranslationConfig c = decode(PASID);
        assertEquals(TranslationMode.STAGE1, c.mode());
        assertNull(c.stage2());
        assertEquals(S1_ROOT, c.stage1().rootAddress());
        assertTrue(c.stage1().hardwareAccessedDirty());
        VtdFirstStageFormat f = assertInstanceOf(VtdFirstStageFormat.class, c.stage1().format());
        assertEquals(4, f.levels());
        assertEquals(48, f.inputAddressBits());
        assertEquals(46, f.outputAddressBits()); // host address width
        assertTrue(f.oneGigPages()); // typical unit reports FL1GP
        assertTrue(f.writeProtectEnable());
        assertEquals(DID, c.domainTag());
        assertEquals(PASID, c.addressSpaceTag());
    }

    @Test
    void firstStageFlagsFollowEntryAndCapability() throws Exception {
        Features features = Features.typical();
        features.pageSizes = UnitFeatures.SIZE_4K | UnitFeatures.SIZE_2M; // no FL1GP
        unit = enabledUnit(features.build());
        buildPath(q0(0, 1, false, 0), DID, q2(false, 0, false, S1_ROOT));
        VtdFirstStageFormat f = (VtdFirstStageFormat) decode(PASID).stage1().format();
        assertFalse(f.oneGigPages());
        assertFalse(f.writeProtectEnable());
    }

    @Test
    void firstStageFiveLevelNeedsFl5lp() throws Exception {
        buildPath(q0(0, 1, false, 0), DID, q2(false, 1, false, S1_ROOT));
        assertEquals(0x5B, faultCode(PASID));

        Features features = Features.typical();
        features.fiveLevelStage1 = true;
        unit = enabledUnit(features.build());
        buildPath(q0(0, 1, false, 0), DID, q2(false, 1, false, S1_ROOT));
        VtdFirstStageFormat f = (VtdFirstStageFormat) decode(PASID).stage1().format();
        assertEquals(5, f.levels());
        assertEquals(57, f.inputAddressBits());
    }

    @Test
    void reservedFirstStagePagingModeIsInvalid() {
        buildPath(q0(0, 1, false, 0), DID, q2(false, 2, false, S1_ROOT));
        assertEquals(0x5B, faultCode(PASID));
    }

    @Test
    void firstStageRootAboveHostWidthIsReserved() {
        buildPath(q0(0, 1, false, 0), DID, q2(false, 0, false, 1L << 46));
        assertEquals(0x5A, faultCode(PASID));
    }

    @Test
    void secondStageOnlyDecodesWidthLargePagesAndNoPasidTag() throws Exception {
        buildPath(q0(2, 2, true, S2_ROOT), DID, 0);
        TranslationConfig c = decode(PASID);
        assertEquals(TranslationMode.STAGE2, c.mode());
        assertNull(c.stage1());
        assertEquals(S2_ROOT, c.stage2().rootAddress());
        assertTrue(c.stage2().hardwareAccessedDirty());
        VtdSecondStageFormat f = assertInstanceOf(VtdSecondStageFormat.class, c.stage2().format());
        assertEquals(4, f.levels());
        assertEquals(48, f.inputAddressBits());
        assertEquals(46, f.outputAddressBits());
        assertTrue(f.accessedDirtyEnabled());
        assertTrue(f.leafAllowed(1));
        assertTrue(f.leafAllowed(2));
        assertEquals(DID, c.domainTag());
        assertEquals(-1, c.addressSpaceTag());
    }

    @Test
    void secondStageThreeLevelWithoutSsade() throws Exception {
        buildPath(q0(1, 2, false, S2_ROOT), DID, 0);
        TranslationConfig c = decode(PASID);
        assertEquals(3, c.stage2().format().levels());
        assertEquals(39, c.stage2().format().inputAddressBits());
        assertFalse(c.stage2().hardwareAccessedDirty());
    }

    @Test
    void secondStageWidthMustBeInSagaw() {
        buildPath(q0(3, 2, false, S2_ROOT), DID, 0); // 57-bit, unit has MGAW 48
        assertEquals(0x5B, faultCode(PASID));
        buildPath(q0(0, 2, false, S2_ROOT), DID, 0); // AW 0 is never valid in scalable mode
        assertEquals(0x5B, faultCode(PASID));
    }

    @Test
    void ssadeNeedsSecondStageAccessedDirtySupport() {
        Features features = Features.typical();
        features.dirtyTracking = false;
        unit = enabledUnit(features.build());
        buildPath(q0(2, 2, true, S2_ROOT), DID, 0);
        assertEquals(0x5B, faultCode(PASID));
    }

    @Test
    void nestedDecodesBothStagesWithGuestPhysicalFirstStageOutput() throws Exception {
        buildPath(q0(1, 3, false, S2_ROOT), DID, q2(true, 0, false, S1_ROOT));
        TranslationConfig c = decode(PASID);
        assertEquals(TranslationMode.NESTED, c.mode());
        assertEquals(S1_ROOT, c.stage1().rootAddress());
        assertEquals(S2_ROOT, c.stage2().rootAddress());
        assertEquals(4, c.stage1().format().levels());
        assertEquals(39, c.stage1().format().outputAddressBits()); // bounded by the stage-2 input
        assertEquals(3, c.stage2().format().levels());
        assertEquals(DID, c.domainTag());
        assertEquals(PASID, c.addressSpaceTag());
    }

    @Test
    void nestedNeedsEcapNest() {
        Features features = Features.typical();
        features.nesting = false;
        unit = enabledUnit(features.build());
        buildPath(q0(2, 3, false, S2_ROOT), DID, q2(false, 0, false, S1_ROOT));
        assertEquals(0x5B, faultCode(PASID));
    }

    @Test
    void passThroughIsBypassTaggedWithDid() throws Exception {
        buildPath(q0(0, 4, false, 0), DID, 0);
        assertEquals(TranslationConfig.bypass(DID), decode(PASID));
    }

    @Test
    void reservedPgttValuesAreInvalid() {
        for (int pgtt : new int[] {0, 5, 6, 7}) {
            buildPath(q0(2, pgtt, false, S2_ROOT), DID, 0);
            assertEquals(0x5B, faultCode(PASID), "PGTT " + pgtt);
        }
    }

    // ---- RID_PASID and PASID selection ----------------------------------------------------------

    @Test
    void requestWithoutPasidUsesRidPasid() throws Exception {
        int ridPasid = 0x41; // directory index 1, table index 1
        writeRoot(BUS, CTX_LOW | 1, 0);
        writeContext(CTX_LOW, DEVFN, contextQ0() & ~0x8L, ridPasid); // PASIDE clear: irrelevant here
        writePasidEntry(ridPasid, q0(0, 1, false, 0), DID, q2(false, 0, false, S1_ROOT));
        TranslationConfig c = decode(DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.STAGE1, c.mode());
        assertEquals(ridPasid, c.addressSpaceTag());
        assertEquals(S1_ROOT, c.stage1().rootAddress());
    }

    @Test
    void requestWithPasidNeedsPasidEnable() {
        writeRoot(BUS, CTX_LOW | 1, 0);
        writeContext(CTX_LOW, DEVFN, contextQ0() & ~0x8L, 0);
        assertEquals(0x45, faultCode(PASID));
    }

    @Test
    void pasidBeyondDirectorySizeFaults() throws Exception {
        writeRoot(BUS, CTX_LOW | 1, 0);
        writeContext(CTX_LOW, DEVFN, contextQ0(), 0); // PDTS 0: 128 entries, PASIDs below 0x2000
        assertEquals(0x46, faultCode(0x2000));
        writeContext(CTX_LOW, DEVFN, contextQ0() | (1L << 9), 0); // PDTS 1: 256 entries
        writePasidEntry(0x2000, q0(0, 4, false, 0), DID, 0);
        assertEquals(TranslationMode.BYPASS, decode(0x2000).mode());
    }

    @Test
    void ridPasidBeyondDirectorySizeIsRidPasidError() {
        writeRoot(BUS, CTX_LOW | 1, 0);
        writeContext(CTX_LOW, DEVFN, contextQ0(), 0x2000);
        assertEquals(0x48, faultCode(DeviceInfo.NO_PASID));
    }

    @Test
    void pasidOutsideTwentyBitsIsRejectedAsInput() {
        IommuException e = assertThrows(IommuException.class, () -> decode(1 << 20));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains(String.valueOf(1 << 20)), e.getMessage());
    }

    @Test
    void sourceIdWiderThanSixteenBitsIsRejectedAsInput() {
        device = new DeviceInfo("0000:03:02.0", "dmar0", 0x1_0310, 20, false, false, true, true);
        IommuException e = assertThrows(IommuException.class, () -> decode(PASID));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("0x10310"), e.getMessage());
    }

    // ---- root and context ------------------------------------------------------------------------

    @Test
    void upperDevfnUsesUpperHalfOfRootEntry() throws Exception {
        device = device(BUS, 0x90);
        writeRoot(BUS, CTX_LOW | 1, 0); // only the lower half present
        assertEquals(0x39, faultCode(PASID));
        writeRoot(BUS, 0, CTX_HIGH | 1);
        writeContext(CTX_HIGH, 0x90, contextQ0(), 0);
        writePasidEntry(PASID, q0(2, 2, false, S2_ROOT), DID, 0);
        assertEquals(TranslationMode.STAGE2, decode(PASID).mode());
        device = device(BUS, DEVFN); // the lower half is now absent
        assertEquals(0x39, faultCode(PASID));
    }

    @Test
    void notPresentStructuresFaultWithTheirReasons() {
        assertEquals(0x39, faultCode(PASID)); // empty root table
        writeRoot(BUS, CTX_LOW | 1, 0);
        assertEquals(0x41, faultCode(PASID)); // empty context table
        writeContext(CTX_LOW, DEVFN, contextQ0(), 0);
        assertEquals(0x51, faultCode(PASID)); // empty PASID directory
        unit.memory().write64(PDIR + 8L * (PASID >>> 6), PTABLE | 1);
        assertEquals(0x59, faultCode(PASID)); // empty PASID table
    }

    @Test
    void reservedBitsFaultWithTheirReasons() {
        writeRoot(BUS, CTX_LOW | 1 | 2, 0);
        assertEquals(0x3A, faultCode(PASID));
        writeRoot(BUS, (1L << 46) | 1, 0); // context-table pointer above HAW
        assertEquals(0x3A, faultCode(PASID));
        writeRoot(BUS, CTX_LOW | 1, 0);
        writeContext(CTX_LOW, DEVFN, contextQ0() | (1L << 5), 0);
        assertEquals(0x42, faultCode(PASID));
        writeContext(CTX_LOW, DEVFN, contextQ0(), 1L << 21); // bit 85
        assertEquals(0x42, faultCode(PASID));
        writeContext(CTX_LOW, DEVFN, contextQ0(), 0);
        unit.memory().write64(PDIR + 8L * (PASID >>> 6), PTABLE | 1 | 4);
        assertEquals(0x52, faultCode(PASID));
        writePasidEntry(PASID, q0(2, 2, false, S2_ROOT) | (1L << 10), DID, 0);
        assertEquals(0x5A, faultCode(PASID));
        writePasidEntry(PASID, q0(2, 2, false, 1L << 46), DID, 0); // SSPTPTR above HAW
        assertEquals(0x5A, faultCode(PASID));
        writePasidEntry(PASID, q0(2, 2, false, S2_ROOT), DID, 0);
        unit.memory().write64(PTABLE + 64L * (PASID & 0x3F) + 24, 1); // qword 3 is reserved
        assertEquals(0x5A, faultCode(PASID));
    }

    @Test
    void domainIdBeyondCapNdIsReserved() {
        Features features = Features.typical();
        features.domainIdBits = 8;
        unit = enabledUnit(features.build());
        buildPath(q0(2, 2, false, S2_ROOT), 0x100, 0);
        assertEquals(0x5A, faultCode(PASID));
    }

    // ---- fetches beyond memory -------------------------------------------------------------------

    /** A unit whose memory implements 32 address bits while HAW stays 46, so pointers may pass HAW checks. */
    private void smallMemoryUnit() {
        UnitFeatures features = Features.typical().build();
        unit = new MemoryTestUnit("dmar0", features, new ArrayRegisterFile(VtdRegisterOffsets.REGISTER_FILE_SIZE),
                new MapPhysicalMemory(32));
        enable(unit);
    }

    @Test
    void fetchesBeyondMemoryFaultWithAccessReasons() {
        long beyond = 1L << 32;
        smallMemoryUnit();
        latchRoot(unit, beyond | RTADDR_SCALABLE);
        assertEquals(0x38, faultCode(PASID));
        latchRoot(unit, ROOT | RTADDR_SCALABLE);
        writeRoot(BUS, beyond | 1, 0);
        assertEquals(0x40, faultCode(PASID));
        writeRoot(BUS, CTX_LOW | 1, 0);
        writeContext(CTX_LOW, DEVFN, beyond | 0x9, 0);
        assertEquals(0x50, faultCode(PASID));
        writeContext(CTX_LOW, DEVFN, contextQ0(), 0);
        unit.memory().write64(PDIR + 8L * (PASID >>> 6), beyond | 1);
        assertEquals(0x58, faultCode(PASID));
    }
}
