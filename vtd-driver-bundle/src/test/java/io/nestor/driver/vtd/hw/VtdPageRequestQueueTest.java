package io.nestor.driver.vtd.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.VtdDriver;
import io.nestor.testkit.TestUnitContext.DeliveredResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Page request descriptors as the hardware writes them into the queue at PQA (bytes computed by
 * hand from {@code hw-formats.md} 1.9 / Linux {@code struct page_req_dsc}), PQT / PRS / PECTL
 * bookkeeping, wraparound, and overflow with the hardware's own success response.
 */
class VtdPageRequestQueueTest {

    private static final long PRQ = 0x60_0000L;

    private final VtdDriver driver = new VtdDriver();
    private final DeviceInfo device = new DeviceInfo("0000:03:02.2", "dmar0", 0x0312, 20, true, true, true, true);
    private MemoryTestUnit unit;

    @BeforeEach
    void pageRequestQueueOfOnePage() {
        unit = MemoryTestUnit.of(Features.typical().build());
        VtdUnitReset.reset(unit);
        VtdMmio.write64(unit, VtdRegisterOffsets.PQH, 0);
        VtdMmio.write64(unit, VtdRegisterOffsets.PQT, 0);
        VtdMmio.write64(unit, VtdRegisterOffsets.PQA, PRQ); // PQS 0: 4 KiB, 128 descriptors
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private byte[] record(PageRequest request) {
        return driver.recordPageRequest(unit, device, request);
    }

    private static PageRequest simple(int prgi, boolean last) {
        return new PageRequest(0x0312, 3, 0x1000L * prgi, Access.READ, prgi, last, false, 0);
    }

    @Test
    void descriptorWithPasidPrivilegeAndPrivateData() {
        // qw0 = type 1 | PP (8) | PDP (9) | RID 0x0312 << 16 | PASID 0x1234 << 32 | PRIV (53)
        //     = 0x0020123403120301
        // qw1 = R | W | LPIG | PRGI 0x1AB << 3 | page 0x7FFFABCDE000 = 0x00007FFFABCDED5F
        // qw2 = private data 0x1122334455667788, qw3 = 0
        byte[] d = record(new PageRequest(0x0312, 0x1234, 0x7FFF_ABCD_E123L,
                Access.READ | Access.WRITE | Access.PRIV, 0x1AB, true, false, 0x1122_3344_5566_7788L));
        byte[] expected = bytes(
                0x01, 0x03, 0x12, 0x03, 0x34, 0x12, 0x20, 0x00,
                0x5F, 0xED, 0xCD, 0xAB, 0xFF, 0x7F, 0x00, 0x00,
                0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
                0, 0, 0, 0, 0, 0, 0, 0);
        assertArrayEquals(expected, d);
        byte[] inMemory = new byte[32];
        unit.memory().read(PRQ, inMemory, 0, 32);
        assertArrayEquals(expected, inMemory);
        assertEquals(32, unit.registers().read64(VtdRegisterOffsets.PQT));
        assertEquals(VtdPageRequestQueue.PRS_PPR, unit.registers().read32(VtdRegisterOffsets.PRS));
        assertEquals(VtdEventInterrupt.IM | VtdEventInterrupt.IP, unit.registers().read32(VtdRegisterOffsets.PECTL));
    }

    @Test
    void descriptorWithoutPasidCarriesNoExecuteOrPrivilege() {
        // qw0 = 1 | RID 0x0100 << 16 = 0x01000001; qw1 = X | PRGI 5 << 3 | 0x3000: execute alone
        // reports neither read nor write, and EXE / PRIV need the PASID prefix.
        byte[] d = driver.recordPageRequest(unit, device,
                new PageRequest(0x0100, -1, 0x3FFF, Access.EXEC | Access.PRIV, 5, false, false, 0));
        assertArrayEquals(bytes(
                0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0,
                0x28, 0x30, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0), d);
    }

    @Test
    void tailWrapsAroundTheRing() {
        VtdMmio.write64(unit, VtdRegisterOffsets.PQH, 0xFC0);
        VtdMmio.write64(unit, VtdRegisterOffsets.PQT, 0xFC0);
        record(simple(1, false));
        assertEquals(0xFE0, unit.registers().read64(VtdRegisterOffsets.PQT));
        record(simple(2, true));
        assertEquals(0, unit.registers().read64(VtdRegisterOffsets.PQT));
        assertEquals(3L << 32 | 0x0312_0101L, unit.memory().read64(PRQ + 0xFE0)); // PASID 3, RID, PP, type 1
        assertEquals(2L << 3 | 4 | 1 | 0x2000, unit.memory().read64(PRQ + 0xFE0 + 8));
        assertEquals(0, unit.memory().read64(PRQ), "slot 0 not yet written");
        record(simple(3, false));
        assertEquals(3L << 3 | 1 | 0x3000, unit.memory().read64(PRQ + 8));
    }

    @Test
    void fullQueueSetsProAndAnswersLastInGroupWithSuccess() {
        for (int i = 0; i < 127; i++) {
            assertEquals(32, record(simple(i & 0x1FF, false)).length);
        }
        assertEquals(0xFE0, unit.registers().read64(VtdRegisterOffsets.PQT));
        assertEquals(0, record(simple(200, false)).length);
        assertEquals(VtdPageRequestQueue.PRS_PPR | VtdPageRequestQueue.PRS_PRO,
                unit.registers().read32(VtdRegisterOffsets.PRS));
        assertTrue(unit.deliveredResponses().isEmpty(), "not last in group: no response");
        assertEquals(0, record(simple(201, true)).length);
        assertEquals(List.of(new DeliveredResponse(0x0312, new PageResponse(3, 201, false, PageResponseCode.SUCCESS))),
                unit.deliveredResponses());
        assertEquals(0xFE0, unit.registers().read64(VtdRegisterOffsets.PQT), "nothing written");

        // software drains the queue; while PRO is still set requests are still refused
        VtdMmio.write64(unit, VtdRegisterOffsets.PQH, 0xFE0);
        assertEquals(0, record(simple(202, false)).length);
        VtdMmio.write32(unit, VtdRegisterOffsets.PRS, VtdPageRequestQueue.PRS_PRO | VtdPageRequestQueue.PRS_PPR);
        assertEquals(0, unit.registers().read32(VtdRegisterOffsets.PRS));
        assertEquals(VtdEventInterrupt.IM, unit.registers().read32(VtdRegisterOffsets.PECTL));
        assertEquals(32, record(simple(203, false)).length);
        assertEquals(0, unit.registers().read64(VtdRegisterOffsets.PQT));
        assertEquals(VtdPageRequestQueue.PRS_PPR, unit.registers().read32(VtdRegisterOffsets.PRS));
    }

    @Test
    void stallsAndUnitsWithoutPrsAreRefused() {
        IommuException e = assertThrows(IommuException.class,
                () -> record(new PageRequest(0x0312, 3, 0x1000, Access.READ, 7, true, true, 0)));
        assertEquals(Errno.EINVAL, e.errno());
        Features f = Features.typical();
        f.pageRequests = false;
        unit = MemoryTestUnit.of(f.build());
        VtdUnitReset.reset(unit);
        e = assertThrows(IommuException.class, () -> record(simple(1, true)));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertEquals(0, unit.registers().read64(VtdRegisterOffsets.PQT));
    }
}
