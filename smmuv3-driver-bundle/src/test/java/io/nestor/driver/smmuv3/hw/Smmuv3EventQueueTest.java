package io.nestor.driver.smmuv3.hw;

import static io.nestor.driver.smmuv3.hw.EnabledSmmu.device;
import static io.nestor.driver.smmuv3.hw.EnabledSmmu.le;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import org.junit.jupiter.api.Test;

/**
 * Event records through {@link Smmuv3Driver#recordFault}: each event type's 32 bytes hand-computed
 * from the field positions of hw-formats.md §2.6 (Linux {@code EVTQ_*}), CD.R / STE.S2R suppression,
 * overflow, wrap and a disabled or unwritable queue.
 */
class Smmuv3EventQueueTest {

    private static final long CD_TABLE = 0x200000;
    private static final long S1_ROOT = 0x400000;
    private static final long S2_ROOT = 0x300000;

    private final Smmuv3Driver driver = new Smmuv3Driver();
    private final EnabledSmmu smmu = new EnabledSmmu(Features.typical());

    /** A stage-1 STE with one CD at {@link #CD_TABLE}, CD.R as given. */
    private void stage1Stream(int sid, boolean recordFaults) {
        smmu.ste(sid, 0xB | CD_TABLE, 0);
        long cd0 = 16 | 1L << 31 | 5L << 32 | 1L << 41 | 1L << 46 | 0x99L << 48 | (recordFaults ? 1L << 45 : 0);
        smmu.memory.write64(CD_TABLE, cd0);
        smmu.memory.write64(CD_TABLE + 8, S1_ROOT);
    }

    /** A stage-2 STE, VMID 9, STE.S2R as given. */
    private void stage2Stream(int sid, boolean recordFaults) {
        long ste2 = 9 | 25L << 32 | 1L << 38 | 5L << 48 | 1L << 51 | (recordFaults ? 1L << 58 : 0);
        smmu.ste(sid, 0xD, 0, ste2, S2_ROOT);
    }

    private byte[] record(int sid, int pasid, Fault fault) {
        return driver.recordFault(smmu.unit, device(sid), pasid, fault);
    }

    private void assertEvent(int index, long... dwords) {
        for (int w = 0; w < 4; w++) {
            assertEquals(dwords[w], smmu.event(index, w), "event " + index + " word " + w);
        }
    }

    // ---- translation faults --------------------------------------------------------------------

    @Test
    void stage1TranslationFaultWithSubstream() {
        stage1Stream(0x123, true);
        // A privileged read with SSID 5 faults at stage 1.
        byte[] written = record(0x123, 5, new Fault(FaultStage.STAGE1, FaultReason.TRANSLATION, 0,
                Access.READ | Access.PRIV, 0x1234_5678_9ABCL, 0x1234_5678_9ABCL, false, 0));
        // word 0: type 0x10, SSV (11), SSID 5 (31:12), SID 0x123 (63:32)
        // word 1: PnU (33), RnW (35), CLASS IN = 2 (41:40)
        long[] expected = {0x0000_0123_0000_5810L, 0x0000_020A_0000_0000L, 0x1234_5678_9ABCL, 0};
        assertArrayEquals(le(expected), written);
        assertEvent(0, expected);
        assertEquals(1, smmu.eventProd());
        assertEquals(1, smmu.unit.registers().read32(0xA8), "the page-0 alias follows");
    }

    @Test
    void stage2PermissionFaultCarriesTheIpa() {
        stage2Stream(0x40, true);
        byte[] written = record(0x40, DeviceInfo.NO_PASID, new Fault(FaultStage.STAGE2, FaultReason.PERMISSION, 0,
                Access.WRITE, 0x4000_1000L, 0x8765_4000_0123L, false, 0));
        // word 1: S2 (39), CLASS IN (41:40), RnW 0 (a write); word 3: IPA[51:12]
        long[] expected = {0x0000_0040_0000_0013L, 0x0000_0280_0000_0000L, 0x4000_1000L, 0x0000_8765_4000_0000L};
        assertArrayEquals(le(expected), written);
        assertEvent(0, expected);
    }

    @Test
    void stage2FaultOnAStage1TableFetchIsClassTt() {
        stage2Stream(0x40, true);
        byte[] written = record(0x40, DeviceInfo.NO_PASID, new Fault(FaultStage.STAGE2, FaultReason.ACCESS_FLAG, 1,
                Access.READ | Access.EXEC, 0x7000, 0x5_5000, true, 0));
        // word 1: InD (34), RnW (35), S2 (39), CLASS TT = 1 (40), TTRnW (44)
        long[] expected = {0x0000_0040_0000_0012L, 0x0000_118C_0000_0000L, 0x7000, 0x5_5000};
        assertArrayEquals(le(expected), written);
    }

    @Test
    void addressSizeAndWalkAbortAtStage1() {
        stage1Stream(0x10, true);
        byte[] size = record(0x10, DeviceInfo.NO_PASID, new Fault(FaultStage.STAGE1, FaultReason.ADDRESS_SIZE, 0,
                Access.WRITE, 0xFFFF_0000_0000L, 0xFFFF_0000_0000L, false, 0));
        assertArrayEquals(le(0x0000_0010_0000_0011L, 0x0000_0200_0000_0000L, 0xFFFF_0000_0000L, 0), size);
        // An external abort on the stage-1 walk: F_WALK_EABT, CLASS TT, TTRnW; FetchAddr unknown (0).
        byte[] abort = record(0x10, DeviceInfo.NO_PASID, new Fault(FaultStage.STAGE1, FaultReason.EXTERNAL_ABORT, 2,
                Access.READ, 0x8000, 0x8000, false, 0));
        assertArrayEquals(le(0x0000_0010_0000_000BL, 0x0000_1108_0000_0000L, 0x8000, 0), abort);
        assertEquals(2, smmu.eventProd());
    }

    @Test
    void stage2FaultOnANestedCdFetchIsClassCdAtTheCdIpa() throws Exception {
        // A nested STE (VMID 9, S2R) whose CD fetch faults at stage 2, as the decoder reports it.
        long ste2 = 9 | 25L << 32 | 1L << 38 | 5L << 48 | 1L << 51 | 1L << 58;
        smmu.ste(0x50, 0xF | CD_TABLE | 4L << 59, 0, ste2, S2_ROOT);
        smmu.unit.stage2Translator((stage2, tag, ipa, access) -> {
            throw new FaultException(new Fault(FaultStage.STAGE2, FaultReason.TRANSLATION, 2, access, ipa, ipa, false, 0));
        });
        FaultException e = assertThrows(FaultException.class, () -> driver.decodeConfig(smmu.unit, device(0x50), 3));
        byte[] written = record(0x50, 3, e.fault());
        // word 0: F_TRANSLATION, SSV, SSID 3, SID 0x50; word 1: RnW (access unknown to decode: 0, a read),
        // S2, CLASS CD = 0, TTRnW; word 2: no input address from configuration decode; word 3: the CD's
        // IPA 0x2000C0 [51:12].
        long[] expected = {0x0000_0050_0000_3810L, 0x0000_1088_0000_0000L, 0, 0x20_0000L};
        assertArrayEquals(le(expected), written);
    }

    // ---- configuration events ------------------------------------------------------------------

    @Test
    void configurationEventsCarryStreamAndSubstreamOnly() throws Exception {
        smmu.ste(0x60, 0); // V = 0
        FaultException e = assertThrows(FaultException.class, () -> driver.decodeConfig(smmu.unit, device(0x60), 7));
        assertArrayEquals(le(0x0000_0060_0000_7804L, 0, 0, 0), record(0x60, 7, e.fault()));
        // StreamID 0x2000 is beyond the 2^12-entry stream table: C_BAD_STREAMID, no SubstreamID.
        FaultException bad = assertThrows(FaultException.class,
                () -> driver.decodeConfig(smmu.unit, device(0x2000), DeviceInfo.NO_PASID));
        assertArrayEquals(le(0x0000_2000_0000_0002L, 0, 0, 0), record(0x2000, DeviceInfo.NO_PASID, bad.fault()));
        assertEquals(2, smmu.eventProd());
    }

    private byte[] decodeAndRecord(int sid, int pasid) {
        FaultException e = assertThrows(FaultException.class, () -> driver.decodeConfig(smmu.unit, device(sid), pasid));
        return record(sid, pasid, e.fault());
    }

    @Test
    void substreamAndCdEvents() {
        // Stage-1 STE with a single CD (S1CDMax 0): a SubstreamID is C_BAD_SUBSTREAMID.
        stage1Stream(0x70, true);
        assertArrayEquals(le(0x0000_0070_0000_3808L, 0, 0, 0), decodeAndRecord(0x70, 3));
        // S1CDMax 4 with S1DSS = terminate: a request without SubstreamID is F_STREAM_DISABLED.
        smmu.ste(0x71, 0xB | CD_TABLE | 4L << 59, 0);
        assertArrayEquals(le(0x0000_0071_0000_0006L, 0, 0, 0), decodeAndRecord(0x71, DeviceInfo.NO_PASID));
        // CD.V = 0 at SSID 2 of that table: C_BAD_CD.
        assertArrayEquals(le(0x0000_0071_0000_280AL, 0, 0, 0), decodeAndRecord(0x71, 2));
        // A CD table beyond the 48-bit memory: F_CD_FETCH with the CD's address (SSID 1: +0x40).
        smmu.ste(0x72, 0xB | 0x000F_0000_0000_0000L | 4L << 59, 0);
        assertArrayEquals(le(0x0000_0072_0000_1809L, 0, 0, 0x000F_0000_0000_0040L), decodeAndRecord(0x72, 1));
        assertEquals(4, smmu.eventProd());
    }

    @Test
    void fetchAbortsRecordTheFetchAddress() {
        // The stream table moved beyond the 48-bit memory: the STE fetch aborts.
        Smmuv3Mmio.write32(smmu.unit, 0x20, 0);
        Smmuv3Mmio.write64(smmu.unit, 0x80, 0x000F_0000_0000_0000L);
        Smmuv3Mmio.write32(smmu.unit, 0x20, 0b1111);
        FaultException e = assertThrows(FaultException.class,
                () -> driver.decodeConfig(smmu.unit, device(0x3), DeviceInfo.NO_PASID));
        // STE 3 at 0xF_0000_0000_00C0: FetchAddr[51:3] in word 3.
        assertArrayEquals(le(0x0000_0003_0000_0003L, 0, 0, 0x000F_0000_0000_00C0L),
                record(0x3, DeviceInfo.NO_PASID, e.fault()));
    }

    // ---- suppression ---------------------------------------------------------------------------

    @Test
    void cdRAndSteS2rSuppressOnlyTranslationFaults() {
        stage1Stream(0x10, false);
        stage2Stream(0x11, false);
        Fault s1 = new Fault(FaultStage.STAGE1, FaultReason.PERMISSION, 0, Access.WRITE, 0x1000, 0x1000, false, 0);
        Fault s2 = new Fault(FaultStage.STAGE2, FaultReason.TRANSLATION, 0, Access.READ, 0x1000, 0x1000, false, 0);
        assertEquals(0, record(0x10, DeviceInfo.NO_PASID, s1).length);
        assertEquals(0, record(0x11, DeviceInfo.NO_PASID, s2).length);
        assertEquals(0, smmu.eventProd());
        // External aborts and configuration faults are recorded whatever R says.
        Fault abort = new Fault(FaultStage.STAGE2, FaultReason.EXTERNAL_ABORT, 0, Access.READ, 0x1000, 0x1000, false, 0);
        assertEquals(32, record(0x11, DeviceInfo.NO_PASID, abort).length);
        assertEquals(32, record(0x10, DeviceInfo.NO_PASID, Fault.config(0x0A, 0, 0)).length);
        assertEquals(2, smmu.eventProd());
        // With R set the same translation faults are recorded.
        stage1Stream(0x10, true);
        stage2Stream(0x11, true);
        assertEquals(32, record(0x10, DeviceInfo.NO_PASID, s1).length);
        assertEquals(32, record(0x11, DeviceInfo.NO_PASID, s2).length);
        assertEquals(4, smmu.eventProd());
    }

    // ---- queue mechanics -----------------------------------------------------------------------

    private byte[] badSte(int sid) {
        return record(sid, DeviceInfo.NO_PASID, Fault.config(0x04, 0, 0));
    }

    @Test
    void aFullQueueDropsRecordsAndTogglesOverflowOnce() {
        for (int i = 0; i < 8; i++) {
            assertEquals(32, badSte(i).length);
        }
        assertEquals(0x8, smmu.eventProd(), "index 0 with the wrap bit: full against CONS 0");
        assertEquals(0, badSte(8).length);
        assertEquals(0x8000_0008, smmu.eventProd(), "OVFLG toggled");
        assertEquals(0, badSte(9).length);
        assertEquals(0x8000_0008, smmu.eventProd(), "an outstanding overflow is not toggled again");
        // Software consumes two records and acknowledges the overflow.
        Smmuv3Mmio.write32(smmu.unit, 0x100AC, 0x8000_0002);
        assertEquals(32, badSte(10).length);
        assertEquals(0x8000_0009, smmu.eventProd());
        assertEquals(0x0000_000A_0000_0004L, smmu.event(0, 0), "record 10 went to slot 0");
        assertEquals(0x0000_0001_0000_0004L, smmu.event(1, 0));
    }

    @Test
    void prodWrapsPastTheLastSlot() {
        Smmuv3Mmio.write32(smmu.unit, 0x20, 0b1011); // EVTQEN clear: software may place PROD
        Smmuv3Mmio.write32(smmu.unit, 0x100A8, 7);
        Smmuv3Mmio.write32(smmu.unit, 0x100AC, 7);
        Smmuv3Mmio.write32(smmu.unit, 0x20, 0b1111);
        badSte(0x21);
        badSte(0x22);
        assertEquals(0x0000_0021_0000_0004L, smmu.event(7, 0));
        assertEquals(0x0000_0022_0000_0004L, smmu.event(0, 0));
        assertEquals(0x9, smmu.eventProd());
    }

    @Test
    void aDisabledQueueRecordsNothing() {
        Smmuv3Mmio.write32(smmu.unit, 0x20, 0b1011);
        assertEquals(0, badSte(1).length);
        assertEquals(0, smmu.eventProd());
        assertEquals(0, smmu.event(0, 0));
    }

    @Test
    void anUnwritableQueueRaisesEvtqAbtErr() {
        Smmuv3Mmio.write32(smmu.unit, 0x20, 0b1011);
        Smmuv3Mmio.write64(smmu.unit, 0xA0, 0x000F_0000_0000_0000L | 3);
        Smmuv3Mmio.write32(smmu.unit, 0x20, 0b1111);
        assertEquals(0, badSte(1).length);
        assertEquals(0, smmu.eventProd());
        assertEquals(Smmuv3GlobalErrors.EVTQ_ABT_ERR, Smmuv3GlobalErrors.pending(smmu.unit.registers()));
    }
}
