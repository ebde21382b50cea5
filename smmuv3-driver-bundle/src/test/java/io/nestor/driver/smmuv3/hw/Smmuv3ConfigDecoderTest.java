package io.nestor.driver.smmuv3.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.TestUnit;
import io.nestor.driver.smmuv3.hw.format.VmsaStage1Format;
import io.nestor.driver.smmuv3.hw.format.VmsaStage2Format;
import io.nestor.testkit.MapPhysicalMemory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Decode of hand-built stream tables and CDs (hw-formats.md §2.2, §2.3) through
 * {@link Smmuv3ConfigDecoder}, in a sparse test memory, with the registers set by a real reset.
 * Structures are composed with literal shifts taken from the specification's bit positions (not
 * from the decoder's constants), so a wrong constant fails a test.
 */
class Smmuv3ConfigDecoderTest {

    private static final long STRTAB = 0x100000;
    private static final long CD_TABLE = 0x200000;
    private static final long S2_ROOT = 0x300000;
    private static final long S1_ROOT = 0x400000;
    private static final int SID = 0x123;

    private final MapPhysicalMemory memory = new MapPhysicalMemory(48);

    // ---- fixture ------------------------------------------------------------------------------

    private static Features allGranules() {
        Features f = Features.typical();
        f.pageSizes = UnitFeatures.SIZE_4K | UnitFeatures.SIZE_16K | UnitFeatures.SIZE_64K | UnitFeatures.SIZE_2M;
        return f;
    }

    /** A reset, enabled SMMU with a linear stream table of 2^12 STEs at {@link #STRTAB}. */
    private TestUnit linearUnit(Features f) {
        TestUnit unit = TestUnit.withMemory(f.build(), memory);
        Smmuv3UnitReset.reset(unit);
        unit.registers().write64(Smmuv3RegisterOffsets.STRTAB_BASE, STRTAB);
        unit.registers().write32(Smmuv3RegisterOffsets.STRTAB_BASE_CFG, 12);
        unit.registers().write32(Smmuv3RegisterOffsets.CR0, 1);
        return unit;
    }

    private static DeviceInfo device(int sid) {
        return new DeviceInfo("dev", "smmu0", sid, 20, false, false, false, false);
    }

    private void writeSte(long address, long... dwords) {
        for (int i = 0; i < dwords.length; i++) {
            memory.write64(address + 8L * i, dwords[i]);
        }
    }

    private static long ste0(int config) {
        return 1 | ((long) config << 1);
    }

    /** STE dword 2: S2VMID, S2T0SZ, S2SL0, S2TG, S2PS 48 bits (0b101), S2AA64. */
    private static long ste2(int vmid, int tg, int t0sz, int sl0) {
        return vmid | (long) t0sz << 32 | (long) sl0 << 38 | (long) tg << 46 | 5L << 48 | 1L << 51;
    }

    /** STE dword 0 for stage 1: V, Config, S1Fmt, S1ContextPtr, S1CDMax. */
    private static long s1ste0(int config, int s1Fmt, long contextPtr, int cdMax) {
        return ste0(config) | (long) s1Fmt << 4 | contextPtr | (long) cdMax << 59;
    }

    /** CD dword 0: T0SZ, TG0 4K, V, IPS 48 bits, AA64, ASID. */
    private static long cd0(int t0sz, int asid) {
        return t0sz | 1L << 31 | 5L << 32 | 1L << 41 | (long) asid << 48;
    }

    private void writeCd(long address, long dword0, long ttb0) {
        memory.write64(address, dword0);
        memory.write64(address + 8, ttb0);
    }

    private static int event(TestUnit unit, int sid, int pasid) {
        FaultException e = assertThrows(FaultException.class, () -> Smmuv3ConfigDecoder.decode(unit, device(sid), pasid));
        assertEquals(FaultStage.CONFIG, e.fault().stage());
        assertEquals(FaultReason.CONFIGURATION, e.fault().reason());
        return e.fault().vendorReason();
    }

    private static TranslationConfig decode(TestUnit unit, int pasid) throws FaultException {
        return Smmuv3ConfigDecoder.decode(unit, device(SID), pasid);
    }

    // ---- layout -------------------------------------------------------------------------------

    @Test
    void fieldPositionsMatchTheSpecification() {
        // STE: S1ContextPtr 51:6, S1CDMax 63:59, S1DSS 65:64, S2VMID 143:128, S2T0SZ 165:160,
        // S2SL0 167:166, S2TG 175:174, S2PS 178:176, S2AA64 179, S2HD 183, S2HA 184, S2TTB 243:196.
        Smmuv3Ste ste = new Smmuv3Ste(0xF800_0000_0000_0FC0L | 0b1011, 0b10, 0x0185_A519_0000_BEEFL, 0x000F_FFFF_FFFF_FFF0L);
        assertTrue(ste.valid());
        assertEquals(0b101, ste.config());
        assertEquals(0xFC0, ste.s1ContextPtr());
        assertEquals(31, ste.s1CdMax());
        assertEquals(2, ste.s1Dss());
        assertEquals(0xBEEF, ste.s2Vmid());
        assertEquals(0x19, ste.s2T0sz());
        assertEquals(0, ste.s2Sl0());
        assertEquals(0b10, ste.s2Tg());
        assertEquals(0b101, ste.s2Ps());
        assertFalse(ste.s2Aa64());
        assertTrue(ste.s2Hd());
        assertTrue(ste.s2Ha());
        assertEquals(0x000F_FFFF_FFFF_FFF0L, ste.s2Ttb());
        // CD: T0SZ 5:0, TG0 7:6, EPD0 14, V 31, IPS 34:32, AA64 41, HD 42, HA 43, ASID 63:48,
        // HAD0 65, TTB0 115:68.
        Smmuv3Cd cd = new Smmuv3Cd(0xABCD_0603_8000_4059L, 0xFFF0_0000_1234_5672L);
        assertEquals(0x19, cd.t0sz());
        assertEquals(1, cd.tg0());
        assertTrue(cd.epd0());
        assertTrue(cd.valid());
        assertEquals(3, cd.ips());
        assertTrue(cd.aa64());
        assertTrue(cd.hd());
        assertFalse(cd.ha());
        assertEquals(0xABCD, cd.asid());
        assertTrue(cd.had0());
        assertEquals(0x1234_5670L, cd.ttb0());
    }

    // ---- SMMUEN clear -------------------------------------------------------------------------

    @Test
    void smmuDisabledFollowsGbpaWithoutReadingMemory() throws Exception {
        TestUnit unit = TestUnit.of(Features.typical().build()); // memory() fails the test if used
        Smmuv3UnitReset.reset(unit);
        unit.registers().write64(Smmuv3RegisterOffsets.STRTAB_BASE, STRTAB);
        assertEquals(TranslationConfig.bypass(0), decode(unit, DeviceInfo.NO_PASID));
        unit.registers().write32(Smmuv3RegisterOffsets.GBPA, 1 << 20);
        assertEquals(TranslationConfig.abort(), decode(unit, 5));
    }

    // ---- stream table -------------------------------------------------------------------------

    @Test
    void abortAndReservedConfigsAbortWithoutAnEvent() throws Exception {
        TestUnit unit = linearUnit(Features.typical());
        for (int config = 0; config <= 3; config++) {
            writeSte(STRTAB + SID * 64L, ste0(config));
            assertEquals(TranslationConfig.abort(), decode(unit, DeviceInfo.NO_PASID), "Config " + config);
        }
    }

    @Test
    void bypassConfig() throws Exception {
        TestUnit unit = linearUnit(Features.typical());
        writeSte(STRTAB + SID * 64L, ste0(0b100));
        assertEquals(TranslationConfig.bypass(0), decode(unit, DeviceInfo.NO_PASID));
    }

    @Test
    void linearTableIndexesBySidAndRejectsSidsBeyondLog2Size() throws Exception {
        TestUnit unit = linearUnit(Features.typical());
        writeSte(STRTAB + 0xFFF * 64L, ste0(0b100));
        assertEquals(TranslationMode.BYPASS, Smmuv3ConfigDecoder.decode(unit, device(0xFFF), DeviceInfo.NO_PASID).mode());
        assertEquals(0x04, event(unit, 0xFFE, DeviceInfo.NO_PASID)); // zeroed STE: V = 0
        assertEquals(0x02, event(unit, 0x1000, DeviceInfo.NO_PASID)); // LOG2SIZE 12
    }

    @Test
    void log2SizeIsCappedAtSidSize() {
        Features f = Features.typical();
        f.streamIdBits = 8;
        TestUnit unit = linearUnit(f); // LOG2SIZE 12 > SIDSIZE 8
        writeSte(STRTAB + 0x100 * 64L, ste0(0b100));
        assertEquals(0x02, event(unit, 0x100, DeviceInfo.NO_PASID));
    }

    @Test
    void twoLevelStreamTable() throws Exception {
        TestUnit unit = linearUnit(Features.typical());
        // FMT 1, SPLIT 8, LOG2SIZE 16: L1 index = SID >> 8.
        unit.registers().write32(Smmuv3RegisterOffsets.STRTAB_BASE_CFG, 1 << 16 | 8 << 6 | 16);
        long l2 = 0x500000;
        memory.write64(STRTAB + 1 * 8, l2 | 9); // SID 0x100..0x1FF: SPAN 9 = 256 STEs
        writeSte(l2 + 0x23 * 64L, ste0(0b100));
        assertEquals(TranslationMode.BYPASS, decode(unit, DeviceInfo.NO_PASID).mode());

        memory.write64(STRTAB + 1 * 8, l2 | 6); // SPAN 6 = 32 STEs: index 0x23 is beyond
        assertEquals(0x02, event(unit, SID, DeviceInfo.NO_PASID));
        memory.write64(STRTAB + 1 * 8, l2); // SPAN 0: invalid L1 descriptor
        assertEquals(0x02, event(unit, SID, DeviceInfo.NO_PASID));
        assertEquals(0x02, event(unit, 0x10000, DeviceInfo.NO_PASID)); // beyond LOG2SIZE 16
    }

    @Test
    void busErrorsFetchingTheStreamTableAreSteFetchAborts() {
        TestUnit unit = linearUnit(Features.typical());
        unit.registers().write64(Smmuv3RegisterOffsets.STRTAB_BASE, 1L << 48); // beyond memory
        assertEquals(0x03, event(unit, SID, DeviceInfo.NO_PASID));
        unit.registers().write32(Smmuv3RegisterOffsets.STRTAB_BASE_CFG, 1 << 16 | 8 << 6 | 16); // L1 fetch
        assertEquals(0x03, event(unit, SID, DeviceInfo.NO_PASID));
    }

    // ---- stage 2 ------------------------------------------------------------------------------

    @Test
    void stage2Only4kConcatenated() throws Exception {
        TestUnit unit = linearUnit(Features.typical());
        // S2T0SZ 24 (40-bit IPA), SL0 1 = VMSA level 1: 10 bits at the start level = 2 tables.
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, ste2(0x77, 0, 24, 1) | 1L << 56, S2_ROOT);
        TranslationConfig c = decode(unit, DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.STAGE2, c.mode());
        assertNull(c.stage1());
        assertEquals(0x77, c.domainTag());
        assertEquals(-1, c.addressSpaceTag());
        StageConfig s2 = c.stage2();
        assertInstanceOf(VmsaStage2Format.class, s2.format());
        assertEquals(S2_ROOT, s2.rootAddress());
        assertEquals(12, s2.format().granuleShift());
        assertEquals(3, s2.format().levels());
        assertEquals(2, s2.format().rootTableCount());
        assertEquals(40, s2.format().inputAddressBits());
        assertEquals(48, s2.format().outputAddressBits());
        assertTrue(s2.hardwareAccessedDirty()); // S2HA with HTTU
    }

    @Test
    void stage2GranulesUseTheS2tgOrder() throws Exception {
        TestUnit unit = linearUnit(allGranules());
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, ste2(1, 1, 22, 1), S2_ROOT); // S2TG 1 = 64K
        StageConfig s2 = decode(unit, DeviceInfo.NO_PASID).stage2();
        assertEquals(16, s2.format().granuleShift());
        assertEquals(2, s2.format().levels());
        assertEquals(1, s2.format().rootTableCount());
        assertFalse(s2.hardwareAccessedDirty());
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, ste2(1, 2, 16, 2), S2_ROOT); // S2TG 2 = 16K
        s2 = decode(unit, DeviceInfo.NO_PASID).stage2();
        assertEquals(14, s2.format().granuleShift());
        assertEquals(3, s2.format().levels()); // VMSA level 1 start: 12 bits = 2 tables of 11
        assertEquals(2, s2.format().rootTableCount());
    }

    @Test
    void s2psIsCappedAtOas() throws Exception {
        Features f = Features.typical();
        f.outputAddressBits = 44;
        TestUnit unit = linearUnit(f);
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, ste2(1, 0, 25, 1), S2_ROOT); // S2PS 48
        assertEquals(44, decode(unit, DeviceInfo.NO_PASID).stage2().format().outputAddressBits());
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, ste2(1, 0, 25, 1) & ~(7L << 48) | 2L << 48, S2_ROOT); // 40
        assertEquals(40, decode(unit, DeviceInfo.NO_PASID).stage2().format().outputAddressBits());
    }

    @Test
    void illegalStage2FieldsAreBadSte() {
        TestUnit unit = linearUnit(Features.typical()); // 4K granule only, OAS 48
        long good = ste2(1, 0, 25, 1);
        long[] bad = {
            good & ~(1L << 51), // S2AA64 = 0
            good | 3L << 46, // S2TG reserved
            good & ~(3L << 46) | 2L << 46, // 16K not implemented
            good & ~(3L << 38) | 3L << 38, // SL0 reserved
            good & ~(3L << 38), // SL0 0 (VMSA level 2) cannot resolve 39 bits
            good & ~(0x3FL << 32) | 10L << 32, // S2T0SZ 10 < 64 - IAS
        };
        for (long dword2 : bad) {
            writeSte(STRTAB + SID * 64L, ste0(0b110), 0, dword2, S2_ROOT);
            assertEquals(0x04, event(unit, SID, DeviceInfo.NO_PASID), Long.toHexString(dword2));
        }
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, good, 1L << 48); // S2TTB beyond S2PS
        assertEquals(0x04, event(unit, SID, DeviceInfo.NO_PASID));
    }

    @Test
    void stage2WithoutS2pIsBadSte() {
        Features f = Features.typical();
        f.nesting = false; // IDR0.S2P = 0
        TestUnit unit = linearUnit(f);
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, ste2(1, 0, 25, 1), S2_ROOT);
        assertEquals(0x04, event(unit, SID, DeviceInfo.NO_PASID));
        writeSte(STRTAB + SID * 64L, ste0(0b111), 0, ste2(1, 0, 25, 1), S2_ROOT);
        assertEquals(0x04, event(unit, SID, DeviceInfo.NO_PASID));
    }

    /** Whether a DBM-only (writable-clean) leaf is writable under {@code format}: HD in effect. */
    private static boolean hardwareDirtyInEffect(PageTableFormat format, long dbmLeaf) {
        return (format.permissions(dbmLeaf, 0) & Permission.WRITE) != 0;
    }

    @Test
    void hdIsHonouredOnlyWithHttuAccessDirty() throws Exception {
        long s2HaHd = 1L << 56 | 1L << 55;
        long cdHaHd = 1L << 43 | 1L << 42;
        // IDR0.HTTU = access + dirty
        TestUnit unit = linearUnit(Features.typical());
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, ste2(1, 0, 25, 1) | s2HaHd, S2_ROOT);
        StageConfig s2 = decode(unit, DeviceInfo.NO_PASID).stage2();
        long s2Leaf = s2.format().encodeLeaf(0x5000, 0, Permission.READ | Permission.WRITE);
        assertTrue(hardwareDirtyInEffect(s2.format(), s2Leaf));
        assertTrue(s2.hardwareAccessedDirty());
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 0));
        writeCd(CD_TABLE, cd0(16, 1) | cdHaHd, S1_ROOT);
        StageConfig s1 = decode(unit, DeviceInfo.NO_PASID).stage1();
        long s1Leaf = s1.format().encodeLeaf(0x5000, 0, Permission.READ | Permission.WRITE);
        assertTrue(hardwareDirtyInEffect(s1.format(), s1Leaf));

        // IDR0.HTTU = access only: HA still applies, HD is ignored
        Features f = Features.typical();
        f.dirtyTracking = false;
        unit = linearUnit(f);
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, ste2(1, 0, 25, 1) | s2HaHd, S2_ROOT);
        s2 = decode(unit, DeviceInfo.NO_PASID).stage2();
        assertFalse(hardwareDirtyInEffect(s2.format(), s2Leaf));
        assertTrue(s2.hardwareAccessedDirty());
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 0));
        s1 = decode(unit, DeviceInfo.NO_PASID).stage1();
        assertFalse(hardwareDirtyInEffect(s1.format(), s1Leaf));
        assertTrue(s1.hardwareAccessedDirty());

        // HD without HA is not honoured either
        unit = linearUnit(Features.typical());
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, ste2(1, 0, 25, 1) | 1L << 55, S2_ROOT);
        s2 = decode(unit, DeviceInfo.NO_PASID).stage2();
        assertFalse(hardwareDirtyInEffect(s2.format(), s2Leaf));
        assertFalse(s2.hardwareAccessedDirty());
    }

    // ---- stage 1 ------------------------------------------------------------------------------

    @Test
    void stage1SingleCd() throws Exception {
        TestUnit unit = linearUnit(Features.typical());
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 0), 0, 0x42);
        writeCd(CD_TABLE, cd0(16, 0x1234) | 1L << 43, S1_ROOT);
        TranslationConfig c = decode(unit, DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.STAGE1, c.mode());
        assertNull(c.stage2());
        assertEquals(0x42, c.domainTag()); // S2VMID tags stage-1 entries when S2P is implemented
        assertEquals(0x1234, c.addressSpaceTag());
        StageConfig s1 = c.stage1();
        assertInstanceOf(VmsaStage1Format.class, s1.format());
        assertEquals(S1_ROOT, s1.rootAddress());
        assertEquals(4, s1.format().levels());
        assertEquals(48, s1.format().inputAddressBits());
        assertTrue(s1.hardwareAccessedDirty());
        // a SubstreamID with substreams disabled (S1CDMax 0)
        assertEquals(0x08, event(unit, SID, 0));
    }

    @Test
    void stage1GeometryAndIpsComeFromTheCd() throws Exception {
        TestUnit unit = linearUnit(allGranules());
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 0));
        writeCd(CD_TABLE, cd0(25, 1) & ~(7L << 32) | 2L << 32, S1_ROOT); // 39-bit input, IPS 40
        StageConfig s1 = decode(unit, DeviceInfo.NO_PASID).stage1();
        assertEquals(3, s1.format().levels());
        assertEquals(39, s1.format().inputAddressBits());
        assertEquals(40, s1.format().outputAddressBits());
        assertFalse(s1.hardwareAccessedDirty());
        writeCd(CD_TABLE, cd0(22, 1) | 1L << 6, S1_ROOT); // TG0 1 = 64K, 42-bit input
        s1 = decode(unit, DeviceInfo.NO_PASID).stage1();
        assertEquals(16, s1.format().granuleShift());
        assertEquals(2, s1.format().levels());
        writeCd(CD_TABLE, cd0(16, 1) | 2L << 6, S1_ROOT); // TG0 2 = 16K
        assertEquals(14, decode(unit, DeviceInfo.NO_PASID).stage1().format().granuleShift());
    }

    @Test
    void linearCdTableIndexesBySsid() throws Exception {
        TestUnit unit = linearUnit(Features.typical());
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 4), Smmuv3Ste.S1DSS_SSID0);
        writeCd(CD_TABLE, cd0(16, 100), S1_ROOT);
        writeCd(CD_TABLE + 5 * 64, cd0(16, 105), S1_ROOT + 0x1000);
        TranslationConfig c = decode(unit, 5);
        assertEquals(105, c.addressSpaceTag());
        assertEquals(S1_ROOT + 0x1000, c.stage1().rootAddress());
        assertEquals(100, decode(unit, DeviceInfo.NO_PASID).addressSpaceTag()); // S1DSS 2: CD 0
        assertEquals(0x08, event(unit, SID, 0)); // SSID 0 is illegal under S1DSS 2
        assertEquals(0x08, event(unit, SID, 16)); // beyond S1CDMax 4
        assertEquals(0x0A, event(unit, SID, 6)); // zeroed CD: V = 0
    }

    @Test
    void twoLevelCdTables() throws Exception {
        TestUnit unit = linearUnit(Features.typical());
        long l2 = 0x600000;
        // S1Fmt 1: 64-CD leaves; SSID 0x47 = L1 index 1, L2 index 7.
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 1, CD_TABLE, 12));
        memory.write64(CD_TABLE + 8, l2 | 1);
        writeCd(l2 + 7 * 64, cd0(16, 0x47), S1_ROOT);
        assertEquals(0x47, decode(unit, 0x47).addressSpaceTag());
        // S1Fmt 2: 1024-CD leaves; SSID 0x405 = L1 index 1, L2 index 5.
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 2, CD_TABLE, 12));
        writeCd(l2 + 5 * 64, cd0(16, 0x405), S1_ROOT);
        assertEquals(0x405, decode(unit, 0x405).addressSpaceTag());
        assertEquals(0x08, event(unit, SID, 0x805)); // L1 index 2: L1CD.V = 0
        assertEquals(0x08, event(unit, SID, 0x1000)); // beyond S1CDMax 12
    }

    @Test
    void requestsWithoutSsidFollowS1dss() throws Exception {
        TestUnit unit = linearUnit(Features.typical());
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 4), Smmuv3Ste.S1DSS_TERMINATE);
        assertEquals(0x06, event(unit, SID, DeviceInfo.NO_PASID)); // F_STREAM_DISABLED
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 4), Smmuv3Ste.S1DSS_BYPASS);
        assertEquals(TranslationConfig.bypass(0), decode(unit, DeviceInfo.NO_PASID));
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 4), 3); // reserved
        assertEquals(0x04, event(unit, SID, DeviceInfo.NO_PASID));
    }

    @Test
    void illegalStage1SteFieldsAreBadSte() {
        Features f = Features.typical();
        f.pasidBits = 8;
        TestUnit unit = linearUnit(f);
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 9)); // S1CDMax 9 > SSIDSIZE 8
        assertEquals(0x04, event(unit, SID, 1));
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 3, CD_TABLE, 4)); // S1Fmt reserved
        assertEquals(0x04, event(unit, SID, 1));
    }

    @Test
    void illegalCdsAreBadCd() {
        TestUnit unit = linearUnit(Features.typical()); // 4K only
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 0));
        long good = cd0(16, 1);
        long[] bad = {
            good & ~(1L << 31), // V = 0
            good & ~(1L << 41), // AA64 = 0
            good | 3L << 6, // TG0 reserved
            good | 1L << 6, // 64K not implemented
            good & ~0x3FL | 12, // T0SZ 12
            good & ~0x3FL | 40, // T0SZ 40 without STT
        };
        for (long dword0 : bad) {
            writeCd(CD_TABLE, dword0, S1_ROOT);
            assertEquals(0x0A, event(unit, SID, DeviceInfo.NO_PASID), Long.toHexString(dword0));
        }
        writeCd(CD_TABLE, good & ~(7L << 32) | 2L << 32, 1L << 40); // TTB0 beyond IPS 40
        assertEquals(0x0A, event(unit, SID, DeviceInfo.NO_PASID));
    }

    @Test
    void epd0IsAStage1TranslationFault() {
        TestUnit unit = linearUnit(Features.typical());
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 0));
        writeCd(CD_TABLE, cd0(16, 1) | 1L << 14, S1_ROOT);
        FaultException e = assertThrows(FaultException.class, () -> decode(unit, DeviceInfo.NO_PASID));
        assertEquals(FaultStage.STAGE1, e.fault().stage());
        assertEquals(FaultReason.TRANSLATION, e.fault().reason());
    }

    @Test
    void busErrorsFetchingCdsAreCdFetchAborts() {
        TestUnit unit = linearUnit(Features.typical());
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, 1L << 48, 0)); // the CD lies beyond memory
        assertEquals(0x09, event(unit, SID, DeviceInfo.NO_PASID));
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 1, (1L << 48) - 64, 12));
        assertEquals(0x09, event(unit, SID, 0x7C0)); // L1CD index 31 at 2^48 - 64 + 248
    }

    @Test
    void narrowAsidAndVmidAreMasked() throws Exception {
        Features f = Features.typical();
        f.domainIdBits = 8; // no ASID16 / VMID16
        TestUnit unit = linearUnit(f);
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 0), 0, 0x1234);
        writeCd(CD_TABLE, cd0(16, 0xAB12), S1_ROOT);
        TranslationConfig c = decode(unit, DeviceInfo.NO_PASID);
        assertEquals(0x34, c.domainTag());
        assertEquals(0x12, c.addressSpaceTag());
    }

    // ---- nested -------------------------------------------------------------------------------

    /** A stage-2 translator for structure fetches: guest RAM at host {@link #GUEST_RAM} + IPA; logs each call. */
    private static final long GUEST_RAM = 0x7000_0000L;

    private final List<String> fetches = new ArrayList<>();

    private TestUnit nestedUnit() {
        TestUnit unit = linearUnit(Features.typical());
        unit.stage2Translator((stage2, tag, ipa, access) -> {
            fetches.add(String.format("root 0x%x tag %d ipa 0x%x access %d", stage2.rootAddress(), tag, ipa, access));
            return GUEST_RAM + ipa;
        });
        return unit;
    }

    @Test
    void nestedCdIsFetchedThroughStage2() throws Exception {
        TestUnit unit = nestedUnit();
        writeSte(STRTAB + SID * 64L, s1ste0(0b111, 0, CD_TABLE, 4), Smmuv3Ste.S1DSS_BYPASS, ste2(9, 0, 25, 1), S2_ROOT);
        // Linear CD table at IPA 0x200000: the CD of SSID 3 is at IPA 0x2000C0, host 0x702000C0.
        writeCd(GUEST_RAM + CD_TABLE + 3 * 64, cd0(16, 0x77), S1_ROOT);
        TranslationConfig c = decode(unit, 3);
        assertEquals(TranslationMode.NESTED, c.mode());
        assertEquals(9, c.domainTag());
        assertEquals(0x77, c.addressSpaceTag());
        assertEquals(S1_ROOT, c.stage1().rootAddress(), "TTB0 stays an IPA; the walker translates it");
        assertEquals(S2_ROOT, c.stage2().rootAddress());
        assertInstanceOf(VmsaStage1Format.class, c.stage1().format());
        assertInstanceOf(VmsaStage2Format.class, c.stage2().format());
        assertEquals(List.of("root 0x300000 tag 9 ipa 0x2000c0 access 1"), fetches);
    }

    @Test
    void nestedTwoLevelCdTableTranslatesTheL1DescriptorAndTheCd() throws Exception {
        TestUnit unit = nestedUnit();
        // S1Fmt 1 (64-CD leaves), S1CDMax 8; SSID 0x45: L1 index 1 at IPA 0x200008, CD 5 of the leaf.
        writeSte(STRTAB + SID * 64L, s1ste0(0b111, 1, CD_TABLE, 8), 0, ste2(9, 0, 25, 1), S2_ROOT);
        memory.write64(GUEST_RAM + CD_TABLE + 8, 0x25_0000L | 1);
        writeCd(GUEST_RAM + 0x25_0000L + 5 * 64, cd0(20, 0x78), S1_ROOT);
        TranslationConfig c = decode(unit, 0x45);
        assertEquals(TranslationMode.NESTED, c.mode());
        assertEquals(0x78, c.addressSpaceTag());
        assertEquals(List.of("root 0x300000 tag 9 ipa 0x200008 access 1",
                "root 0x300000 tag 9 ipa 0x250140 access 1"), fetches);
    }

    @Test
    void aStage2FaultOnTheCdFetchIsAStage2FaultOfClassCd() {
        TestUnit unit = linearUnit(Features.typical());
        unit.stage2Translator((stage2, tag, ipa, access) -> {
            throw new FaultException(new Fault(FaultStage.STAGE2, FaultReason.PERMISSION, 3, access, ipa, ipa, false, 0));
        });
        writeSte(STRTAB + SID * 64L, s1ste0(0b111, 0, CD_TABLE, 4), 0, ste2(9, 0, 25, 1), S2_ROOT);
        FaultException e = assertThrows(FaultException.class, () -> decode(unit, 2));
        Fault f = e.fault();
        assertEquals(FaultStage.STAGE2, f.stage());
        assertEquals(FaultReason.PERMISSION, f.reason());
        assertEquals(CD_TABLE + 2 * 64, f.faultAddress(), "the CD's IPA");
        assertFalse(f.onStage1TableFetch());
        assertEquals(0x09, f.vendorReason(), "marked as the CD fetch (CLASS = CD)");
    }

    @Test
    void aBusErrorReadingTheTranslatedCdIsCdFetchWithItsAddress() {
        TestUnit unit = linearUnit(Features.typical());
        unit.stage2Translator((stage2, tag, ipa, access) -> 1L << 50);
        writeSte(STRTAB + SID * 64L, s1ste0(0b111, 0, CD_TABLE, 4), 0, ste2(9, 0, 25, 1), S2_ROOT);
        FaultException e = assertThrows(FaultException.class, () -> decode(unit, 2));
        assertEquals(FaultStage.CONFIG, e.fault().stage());
        assertEquals(0x09, e.fault().vendorReason());
        assertEquals(1L << 50, e.fault().faultAddress());
    }

    @Test
    void nestedWithS1dssBypassNeedsNoCdAndSteErrorsComeFirst() throws Exception {
        TestUnit unit = nestedUnit();
        writeSte(STRTAB + SID * 64L, s1ste0(0b111, 0, CD_TABLE, 4), Smmuv3Ste.S1DSS_BYPASS, ste2(9, 0, 25, 1), S2_ROOT);
        TranslationConfig c = decode(unit, DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.STAGE2, c.mode());
        assertEquals(9, c.domainTag());
        assertEquals(S2_ROOT, c.stage2().rootAddress());
        assertTrue(fetches.isEmpty());
        writeSte(STRTAB + SID * 64L, s1ste0(0b111, 0, CD_TABLE, 4), 0, ste2(9, 0, 25, 1) & ~(1L << 51), S2_ROOT);
        assertEquals(0x04, event(unit, SID, 3));
        assertTrue(fetches.isEmpty());
    }

    // ---- stall configuration -------------------------------------------------------------------

    @Test
    void stallBitsNeedTheStallModelAndCdSIsRefusedUnderS1stalld() throws Exception {
        // Terminate-only SMMU: STE.S2S (bit 185 = dword 2 bit 57) is C_BAD_STE, CD.S (bit 44) C_BAD_CD.
        TestUnit unit = linearUnit(Features.typical());
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, ste2(9, 0, 25, 1) | 1L << 57, S2_ROOT);
        assertEquals(0x04, event(unit, SID, DeviceInfo.NO_PASID));
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 0), 0, 0);
        writeCd(CD_TABLE, cd0(16, 1) | 1L << 44, S1_ROOT);
        assertEquals(0x0A, event(unit, SID, DeviceInfo.NO_PASID));

        // With the stall model both are fine, unless STE.S1STALLD (bit 91 = dword 1 bit 27) forbids S1 stalls.
        Features f = Features.typical();
        f.stall = true;
        TestUnit stalling = linearUnit(f);
        assertEquals(TranslationMode.STAGE1, decode(stalling, DeviceInfo.NO_PASID).mode());
        writeSte(STRTAB + SID * 64L, s1ste0(0b101, 0, CD_TABLE, 0), 1L << 27, 0);
        assertEquals(0x0A, event(stalling, SID, DeviceInfo.NO_PASID));
        writeSte(STRTAB + SID * 64L, ste0(0b110), 0, ste2(9, 0, 25, 1) | 1L << 57, S2_ROOT);
        assertEquals(TranslationMode.STAGE2, decode(stalling, DeviceInfo.NO_PASID).mode());
    }
}
