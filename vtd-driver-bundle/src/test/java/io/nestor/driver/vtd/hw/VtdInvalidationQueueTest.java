package io.nestor.driver.vtd.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.driver.vtd.Features;
import io.nestor.testkit.TestUnitContext.DeliveredResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The invalidation queue as software drives it through {@link VtdMmio}: descriptors written to
 * memory, IQT advanced, the scopes the unit applied read back from the test kit. Descriptor values
 * are composed by hand from the field tables of {@code hw-formats.md} 1.7.
 */
class VtdInvalidationQueueTest {

    private static final long QUEUE = 0x20_0000L;
    private static final long STATUS = 0x30_0040L;
    private static final int UNIT = 3;

    private MemoryTestUnit unit;
    /** Software's tail, as a byte offset. */
    private long tail;
    private boolean wide;

    @BeforeEach
    void enableQueuedInvalidation() {
        unit = MemoryTestUnit.of(Features.typical().build());
        unit.index(UNIT);
        VtdUnitReset.reset(unit);
        enable(true, 0);
    }

    private void enable(boolean dw, int qs) {
        wide = dw;
        tail = 0;
        VtdMmio.write32(unit, VtdRegisterOffsets.IQT, 0);
        VtdMmio.write64(unit, VtdRegisterOffsets.IQA, QUEUE | (dw ? 1L << 11 : 0) | qs);
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, VtdMmio.GCMD_QIE);
    }

    private long ringBytes() {
        return 4096L << (unit.registers().read64(VtdRegisterOffsets.IQA) & 7);
    }

    /** Writes descriptors at the tail, then advances IQT once, as Linux qi_submit_sync does. */
    private void submit(long[]... descriptors) {
        for (long[] d : descriptors) {
            place(d);
        }
        VtdMmio.write32(unit, VtdRegisterOffsets.IQT, (int) tail);
    }

    private void place(long[] d) {
        int size = wide ? 32 : 16;
        for (int i = 0; i < size / 8; i++) {
            unit.memory().write64(QUEUE + tail + 8L * i, i < d.length ? d[i] : 0);
        }
        tail = (tail + size) % ringBytes();
    }

    private static long[] desc(long... qwords) {
        return qwords;
    }

    private long iqh() {
        return unit.registers().read64(VtdRegisterOffsets.IQH);
    }

    private int fsts() {
        return unit.registers().read32(VtdRegisterOffsets.FSTS);
    }

    private long iqei() {
        return unit.registers().read64(VtdRegisterOffsets.IQERCD) & 0xF;
    }

    private List<InvalidationScope> scopes() {
        return unit.invalidations();
    }

    // ---- context-cache (type 1) --------------------------------------------------------------------

    @Test
    void contextCacheGlobalAndDomainSelectiveDropEveryConfiguration() {
        submit(desc(0x11), desc(0x21 | 42L << 16));
        assertEquals(List.of(new InvalidationScope.UnitConfig(UNIT), new InvalidationScope.UnitConfig(UNIT)), scopes());
        assertEquals(64, iqh());
    }

    @Test
    void contextCacheDeviceSelectiveNamesTheSourceIds() {
        // SID 0x0316 = bus 3, device 2, function 6; FM = 00 then 10 (mask bits 2:1).
        submit(desc(0x31 | 0x0316L << 32), desc(0x31 | 0x0316L << 32 | 2L << 48));
        assertEquals(List.of(
                new InvalidationScope.DeviceConfig(UNIT, 0x0316, InvalidationScope.ANY),
                new InvalidationScope.DeviceConfig(UNIT, 0x0310, InvalidationScope.ANY),
                new InvalidationScope.DeviceConfig(UNIT, 0x0312, InvalidationScope.ANY),
                new InvalidationScope.DeviceConfig(UNIT, 0x0314, InvalidationScope.ANY),
                new InvalidationScope.DeviceConfig(UNIT, 0x0316, InvalidationScope.ANY)), scopes());
    }

    @Test
    void contextCacheFunctionMaskOneMasksBitTwoOnly() {
        submit(desc(0x31 | 0x0311L << 32 | 1L << 48));
        assertEquals(List.of(
                new InvalidationScope.DeviceConfig(UNIT, 0x0311, InvalidationScope.ANY),
                new InvalidationScope.DeviceConfig(UNIT, 0x0315, InvalidationScope.ANY)), scopes());
    }

    // ---- IOTLB (type 2) ----------------------------------------------------------------------------

    @Test
    void iotlbGlobalDomainAndPageSelective() {
        submit(desc(0x12 | 0xC0), // global, DR | DW (ignored)
                desc(0x22 | 42L << 16),
                // page-selective, DID 42, ADDR 0x12345000 with AM 2 (4 pages) and IH
                desc(0x32 | 42L << 16, 0x1234_5000L | 1 << 6 | 2));
        assertEquals(List.of(
                new InvalidationScope.Unit(UNIT),
                new InvalidationScope.Domain(UNIT, 42),
                // the 16 KiB block containing ADDR: ADDR aligned down to 2^(AM+12)
                new InvalidationScope.Stage2Range(UNIT, 42, 0x1234_4000L, 0x4000, true)), scopes());
    }

    @Test
    void iotlbPageSelectiveWithoutHintInvalidatesWalkCachesToo() {
        submit(desc(0x32 | 0xFFFFL << 16, 0x7FFF_FFFF_F000L));
        assertEquals(List.of(new InvalidationScope.Stage2Range(UNIT, 0xFFFF, 0x7FFF_FFFF_F000L, 0x1000, false)),
                scopes());
    }

    @Test
    void iotlbAddressMaskAtMamvIsAcceptedAndAboveIsRefused() {
        submit(desc(0x32 | 1L << 16, 0x4000_0000L | 18));
        assertEquals(List.of(new InvalidationScope.Stage2Range(UNIT, 1, 0x4000_0000L, 1L << 30, false)), scopes());
        submit(desc(0x32 | 1L << 16, 19));
        assertEquals(1, scopes().size());
        assertQueueError(VtdQueueErrorException.RESERVED_FIELD, 32);
    }

    // ---- PASID-based IOTLB (type 6) ----------------------------------------------------------------

    @Test
    void pasidIotlbPasidSelectiveAndPageSelective() {
        submit(desc(0x26 | 7L << 16 | 0x1234L << 32),
                desc(0x36 | 7L << 16 | 0x1234L << 32, 0x4020_0000L | 9),
                desc(0x36 | 7L << 16 | 0xFFFFFL << 32, 0x5000L | 1 << 6));
        assertEquals(List.of(
                new InvalidationScope.AddressSpace(UNIT, 7, 0x1234),
                new InvalidationScope.AddressSpaceRange(UNIT, 7, 0x1234, 0x4020_0000L, 0x20_0000L, false),
                new InvalidationScope.AddressSpaceRange(UNIT, 7, 0xFFFFF, 0x5000L, 0x1000, true)), scopes());
    }

    @Test
    void pasidIotlbReservedGranularitiesAreRefused() {
        submit(desc(0x06 | 7L << 16));
        assertQueueError(VtdQueueErrorException.RESERVED_FIELD, 0);
        assertTrue(scopes().isEmpty());
    }

    // ---- PASID-cache (type 7) ----------------------------------------------------------------------

    @Test
    void pasidCacheDomainPasidAndGlobal() {
        submit(desc(0x07 | 9L << 16),
                desc(0x17 | 9L << 16 | 0x55L << 32),
                desc(0x37));
        assertEquals(List.of(
                new InvalidationScope.DomainConfig(UNIT, 9, InvalidationScope.ANY),
                new InvalidationScope.DomainConfig(UNIT, 9, 0x55),
                // requests without PASID resolve to RID_PASID, which may be 0x55: over-invalidated
                new InvalidationScope.DomainConfig(UNIT, 9, -1),
                new InvalidationScope.UnitConfig(UNIT)), scopes());
        submit(desc(0x27 | 9L << 16));
        assertQueueError(VtdQueueErrorException.RESERVED_FIELD, 96);
    }

    // ---- device-TLB (types 3 and 8) -----------------------------------------------------------------

    @Test
    void deviceTlbInvalidationsAreValidatedAndLeaveTheIotlbAlone() {
        // type 3: PFSID, MIP 31, SID 0x0310, S=1 with ADDR bits 62:12 set (everything)
        submit(desc(0x03 | 0xAL << 12 | 31L << 16 | 0x0310L << 32 | 0x123L << 52, 0x7FFF_FFFF_FFFF_F001L),
                // type 8: MIP, SID 0x0310, PASID 5, G=1
                desc(0x08 | 31L << 4 | 0x0310L << 16 | 5L << 32, 1));
        assertTrue(scopes().isEmpty(), scopes().toString());
        assertEquals(64, iqh());
        assertEquals(0, fsts());
    }

    @Test
    void deviceTlbReservedBitsAreRefused() {
        submit(desc(0x03 | 0x0310L << 32, 1L << 5));
        assertQueueError(VtdQueueErrorException.RESERVED_FIELD, 0);
    }

    @Test
    void deviceTlbWithoutEcapDtIsAnInvalidType() {
        Features f = Features.typical();
        f.deviceTlb = false;
        unit = MemoryTestUnit.of(f.build());
        unit.index(UNIT);
        VtdUnitReset.reset(unit);
        enable(true, 0);
        submit(desc(0x03 | 0x0310L << 32));
        assertQueueError(VtdQueueErrorException.INVALID_TYPE, 0);
    }

    // ---- invalidation wait (type 5) ------------------------------------------------------------------

    @Test
    void waitWritesItsStatusAfterEarlierDescriptors() {
        unit.memory().write32(STATUS, 0x1111);
        submit(desc(0x22 | 3L << 16), desc(0x25 | 0xCAFE_F00DL << 32, STATUS));
        assertEquals(0xCAFE_F00D, unit.memory().read32(STATUS));
        assertEquals(0, unit.memory().read32(STATUS + 4), "only 32 bits written");
        assertEquals(List.of(new InvalidationScope.Domain(UNIT, 3)), scopes());
        assertEquals(0, unit.registers().read32(VtdRegisterOffsets.ICS), "no IF, no completion event");
    }

    @Test
    void waitWithInterruptFlagSetsIwcAndPendsTheMaskedEvent() {
        submit(desc(0x15 | 0x40)); // IF | FN
        assertEquals(1, unit.registers().read32(VtdRegisterOffsets.ICS));
        assertEquals(VtdEventInterrupt.IM | VtdEventInterrupt.IP, unit.registers().read32(VtdRegisterOffsets.IECTL));
        VtdMmio.write32(unit, VtdRegisterOffsets.ICS, 1);
        assertEquals(0, unit.registers().read32(VtdRegisterOffsets.ICS));
        assertEquals(VtdEventInterrupt.IM, unit.registers().read32(VtdRegisterOffsets.IECTL));
    }

    @Test
    void waitStatusAddressMustBeDwordAligned() {
        submit(desc(0x25 | 1L << 32, STATUS + 2));
        assertQueueError(VtdQueueErrorException.RESERVED_FIELD, 0);
        assertEquals(0, unit.memory().read32(STATUS));
    }

    @Test
    void pageDrainIsAcceptedWithPds() {
        submit(desc(0xA5 | 7L << 32, STATUS)); // SW | PD
        assertEquals(7, unit.memory().read32(STATUS));
        assertEquals(0, fsts());
    }

    // ---- page group response (type 9) ----------------------------------------------------------------

    @Test
    void pageGroupResponseReachesTheDevice() {
        // PASID present, response code 1 (invalid), RID 0x0310, PASID 0x77; PRG index 0x1AB
        submit(desc(0x19 | 1L << 12 | 0x0310L << 16 | 0x77L << 32, 0x1ABL << 3),
                desc(0x09 | 0xFL << 12 | 0x0311L << 16, 5L << 3 | 1 << 2));
        assertEquals(List.of(
                new DeliveredResponse(0x0310, new PageResponse(0x77, 0x1AB, false, PageResponseCode.INVALID)),
                new DeliveredResponse(0x0311, new PageResponse(-1, 5, false, PageResponseCode.FAILURE))),
                unit.deliveredResponses());
    }

    @Test
    void pageGroupResponseWithReservedCodeIsRefused() {
        submit(desc(0x09 | 2L << 12 | 0x0310L << 16));
        assertQueueError(VtdQueueErrorException.RESERVED_FIELD, 0);
        assertTrue(unit.deliveredResponses().isEmpty());
    }

    // ---- queue mechanics -------------------------------------------------------------------------------

    @Test
    void headWrapsAroundTheRing() {
        // 256-bit descriptors, QS 0: 128 slots. Fill 127 slots, then submit two that straddle the end.
        for (int i = 0; i < 127; i++) {
            place(desc(0x37));
        }
        VtdMmio.write32(unit, VtdRegisterOffsets.IQT, (int) tail);
        assertEquals(0xFE0, iqh());
        unit.invalidations().clear();
        submit(desc(0x22 | 1L << 16), desc(0x22 | 2L << 16));
        assertEquals(0x20, iqh());
        assertEquals(List.of(new InvalidationScope.Domain(UNIT, 1), new InvalidationScope.Domain(UNIT, 2)), scopes());
    }

    @Test
    void a128BitQueueHoldsSixteenByteDescriptors() {
        enable(false, 1); // 8 KiB: 512 slots of 16 bytes
        submit(desc(0x22 | 1L << 16), desc(0x25 | 9L << 32, STATUS));
        assertEquals(32, iqh());
        assertEquals(9, unit.memory().read32(STATUS));
        submit(desc(0x26 | 1L << 16)); // PASID-based descriptors need 256-bit descriptors
        assertQueueError(VtdQueueErrorException.INVALID_WIDTH, 32);
    }

    @Test
    void reservedTypeStopsTheQueueAtTheBadDescriptorUntilIqeIsCleared() {
        submit(desc(0x22 | 1L << 16), desc(0x0A), desc(0x22 | 2L << 16), desc(0x25 | 5L << 32, STATUS));
        assertQueueError(VtdQueueErrorException.INVALID_TYPE, 32);
        assertEquals(List.of(new InvalidationScope.Domain(UNIT, 1)), scopes());
        assertEquals(0, unit.memory().read32(STATUS), "the wait behind the bad descriptor did not run");
        assertEquals(VtdEventInterrupt.IM | VtdEventInterrupt.IP, unit.registers().read32(VtdRegisterOffsets.FECTL));

        // a submission while IQE is set is not processed
        submit(desc(0x22 | 3L << 16));
        assertEquals(32, iqh());
        assertEquals(1, scopes().size());

        // software replaces the bad slot (Linux copies its wait descriptor there) and clears IQE
        unit.memory().write64(QUEUE + 32, 0x25 | 4L << 32);
        unit.memory().write64(QUEUE + 40, STATUS + 8);
        VtdMmio.write32(unit, VtdRegisterOffsets.FSTS, VtdFaultStatusRegister.IQE);
        assertEquals(0, fsts());
        assertEquals(VtdEventInterrupt.IM, unit.registers().read32(VtdRegisterOffsets.FECTL), "event no longer pending");
        assertEquals(160, iqh());
        assertEquals(4, unit.memory().read32(STATUS + 8));
        assertEquals(5, unit.memory().read32(STATUS));
        assertEquals(List.of(new InvalidationScope.Domain(UNIT, 1), new InvalidationScope.Domain(UNIT, 2),
                new InvalidationScope.Domain(UNIT, 3)), scopes());
    }

    @Test
    void reservedBitsInEachCacheDescriptorAreRefused() {
        long[][] bad = {
            desc(0x11 | 1L << 6), // context-cache bit 6
            desc(0x11, 1), // context-cache qw1
            desc(0x12 | 1L << 40), // IOTLB qw0 bit 40
            desc(0x32, 1L << 7), // IOTLB qw1 bit 7
            desc(0x02), // IOTLB G=00
            desc(0x01), // context-cache G=00
            desc(0x26 | 1L << 52), // PASID IOTLB bit 52
            desc(0x07, 1), // PASID-cache qw1
            desc(0x12, 0, 1), // 256-bit upper half of a 128-bit type
            desc(0x12 | 1L << 9), // type 0x12 (qw0 bit 9)
            desc(0x04), // interrupt-entry cache: no interrupt remapping reported
        };
        int[] codes = {4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3};
        for (int i = 0; i < bad.length; i++) {
            enableQueuedInvalidation();
            submit(bad[i]);
            assertQueueError(codes[i], 0);
            assertTrue(scopes().isEmpty(), "descriptor " + i + " applied " + scopes());
        }
    }

    @Test
    void tailBeyondTheRingOrMisalignedIsAQueueError() {
        VtdMmio.write32(unit, VtdRegisterOffsets.IQT, 0x1000);
        assertQueueError(VtdQueueErrorException.INVALID_TAIL, 0);
        enableQueuedInvalidation();
        VtdMmio.write32(unit, VtdRegisterOffsets.IQT, 0x10);
        assertQueueError(VtdQueueErrorException.TAIL_MISALIGNED, 0);
    }

    @Test
    void disabledQueueIsNotProcessedAndDisablingResetsIqh() {
        submit(desc(0x37));
        assertEquals(32, iqh());
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, 0);
        assertEquals(0, unit.registers().read32(VtdRegisterOffsets.GSTS));
        assertEquals(0, iqh());
        place(desc(0x37));
        VtdMmio.write32(unit, VtdRegisterOffsets.IQT, (int) tail);
        assertEquals(1, scopes().size(), "not processed while QIE is clear");
        // enabling with IQT ahead of IQH (0) processes both slots at once
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, VtdMmio.GCMD_QIE);
        assertEquals(3, scopes().size());
        assertEquals(64, iqh());
    }

    @Test
    void fetchBeyondMemoryIsAFetchError() {
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, 0);
        VtdMmio.write64(unit, VtdRegisterOffsets.IQA, (1L << 46) | 1L << 11);
        VtdMmio.write32(unit, VtdRegisterOffsets.GCMD, VtdMmio.GCMD_QIE);
        VtdMmio.write32(unit, VtdRegisterOffsets.IQT, 0x20);
        assertQueueError(VtdQueueErrorException.FETCH_ERROR, 0);
    }

    private void assertQueueError(int code, long head) {
        assertEquals(VtdFaultStatusRegister.IQE, fsts() & VtdFaultStatusRegister.IQE, "FSTS.IQE");
        assertEquals(code, iqei(), "IQERCD.IQEI");
        assertEquals(head, iqh(), "IQH stays at the refused descriptor");
    }
}
