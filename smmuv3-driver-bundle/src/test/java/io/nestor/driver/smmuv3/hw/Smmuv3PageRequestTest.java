package io.nestor.driver.smmuv3.hw;

import static io.nestor.driver.smmuv3.hw.EnabledSmmu.device;
import static io.nestor.driver.smmuv3.hw.EnabledSmmu.le;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.translation.Access;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.testkit.TestUnitContext.DeliveredResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Stalls and PRI page requests through {@link Smmuv3Driver#recordPageRequest}, and their answers
 * (CMD_RESUME, CMD_PRI_RESP) through the command queue: event and PRI entries hand-computed from
 * hw-formats.md §2.6 / §2.7 (Linux {@code EVTQ_*}, {@code PRIQ_*}), overflow and automatic responses.
 */
class Smmuv3PageRequestTest {

    private final Smmuv3Driver driver = new Smmuv3Driver();

    private static Features stalling() {
        Features f = Features.typical();
        f.stall = true;
        return f;
    }

    private static PageRequest stall(int sid, int pasid, long address, int access, int stag) {
        return new PageRequest(sid, pasid, address, access, stag, true, true, 0);
    }

    private static PageRequest pri(int sid, int pasid, long address, int access, int prgi, boolean last) {
        return new PageRequest(sid, pasid, address, access, prgi, last, false, 0);
    }

    // ---- stall ---------------------------------------------------------------------------------

    @Test
    void aStallIsAnEventWithStallAndStagAndResumeRetriesIt() {
        EnabledSmmu smmu = new EnabledSmmu(stalling());
        byte[] written = driver.recordPageRequest(smmu.unit, device(0x123),
                stall(0x123, 2, 0xABC123, Access.WRITE, 0x4321));
        // word 0: F_TRANSLATION, SSV, SSID 2, SID 0x123; word 1: STAG 0x4321, Stall (31), CLASS IN, RnW 0.
        long[] expected = {0x0000_0123_0000_2810L, 0x0000_0200_8000_4321L, 0xABC123, 0};
        assertArrayEquals(le(expected), written);
        assertEquals(expected[1], smmu.event(0, 1));
        assertTrue(smmu.unit.deliveredResponses().isEmpty(), "the transaction waits for CMD_RESUME");

        smmu.command(0x44 | 1L << 12 | 0x123L << 32, 0x4321); // RESUME, retry
        assertEquals(List.of(new DeliveredResponse(0x123, new PageResponse(-1, 0x4321, true, PageResponseCode.SUCCESS))),
                smmu.unit.deliveredResponses());
    }

    @Test
    void aStallIsRecordedWhateverCdRSays() {
        EnabledSmmu smmu = new EnabledSmmu(stalling());
        // Stage-1 STE with a CD whose R is 0: translation faults would be suppressed, stalls are not.
        smmu.ste(0x10, 0xB | 0x200000);
        smmu.memory.write64(0x200000, 16 | 1L << 31 | 5L << 32 | 1L << 41 | 1L << 44 | 1L << 46);
        assertEquals(32, driver.recordPageRequest(smmu.unit, device(0x10), stall(0x10, -1, 0x5000, Access.READ, 1)).length);
        assertEquals(1, smmu.eventProd());
    }

    @Test
    void anUnrecordableStallIsTerminated() {
        EnabledSmmu smmu = new EnabledSmmu(stalling());
        Smmuv3Mmio.write32(smmu.unit, 0x20, 0b1011); // EVTQEN clear
        assertEquals(0, driver.recordPageRequest(smmu.unit, device(0x7), stall(0x7, 4, 0x5000, Access.READ, 9)).length);
        assertEquals(List.of(new DeliveredResponse(0x7, new PageResponse(4, 9, true, PageResponseCode.FAILURE))),
                smmu.unit.deliveredResponses());

        EnabledSmmu noStall = new EnabledSmmu(Features.typical());
        assertEquals(0, driver.recordPageRequest(noStall.unit, device(0x7), stall(0x7, -1, 0x5000, Access.READ, 3)).length);
        assertEquals(0, noStall.eventProd());
        assertEquals(List.of(new DeliveredResponse(0x7, new PageResponse(-1, 3, true, PageResponseCode.FAILURE))),
                noStall.unit.deliveredResponses());
    }

    // ---- PRI -----------------------------------------------------------------------------------

    @Test
    void aPriRequestIsAPriQueueEntryAndPriRespAnswersIt() {
        EnabledSmmu smmu = new EnabledSmmu(Features.typical());
        byte[] written = driver.recordPageRequest(smmu.unit, device(0x123),
                pri(0x123, 0x45, 0x7F00_1234_5000L, Access.READ | Access.WRITE | Access.EXEC | Access.PRIV, 0x1AB, true));
        // word 0: SID 0x123, SSID 0x45 (51:32), Priv 58, Exec 59, Read 60, Write 61, Last 62, SSV 63;
        // word 1: PRGIndex 0x1AB, address 63:12.
        long[] expected = {0xFC00_0045_0000_0123L, 0x0000_7F00_1234_51ABL};
        assertArrayEquals(le(expected), written);
        assertEquals(expected[0], smmu.priEntry(0, 0));
        assertEquals(expected[1], smmu.priEntry(0, 1));
        assertEquals(1, smmu.priProd());
        assertEquals(1, smmu.unit.registers().read32(0xC8), "page-0 alias");
        assertTrue(smmu.unit.deliveredResponses().isEmpty());

        smmu.command(0x41 | 1L << 11 | 0x45L << 12 | 0x123L << 32, 0x1AB | 2L << 12); // PRI_RESP success
        assertEquals(List.of(new DeliveredResponse(0x123, new PageResponse(0x45, 0x1AB, false, PageResponseCode.SUCCESS))),
                smmu.unit.deliveredResponses());
    }

    @Test
    void withoutAPasidExecAndPrivAreZero() {
        EnabledSmmu smmu = new EnabledSmmu(Features.typical());
        byte[] written = driver.recordPageRequest(smmu.unit, device(0x123),
                pri(0x123, -1, 0x3000, Access.READ | Access.EXEC | Access.PRIV, 0x2, false));
        assertArrayEquals(le(0x1000_0000_0000_0123L, 0x3002), written);
    }

    @Test
    void aFullPriQueueOverflowsAnswersLastRequestsAndBlocksUntilAcknowledged() {
        EnabledSmmu smmu = new EnabledSmmu(Features.typical());
        for (int i = 0; i < 4; i++) {
            assertEquals(16, driver.recordPageRequest(smmu.unit, device(1), pri(1, -1, 0x1000L * i, Access.READ, i, false)).length);
        }
        assertEquals(0x4, smmu.priProd());
        // Full: the request is lost, OVFLG toggles, the group's last request is answered Success.
        assertEquals(0, driver.recordPageRequest(smmu.unit, device(1), pri(1, 3, 0x9000, Access.READ, 0x10, true)).length);
        assertEquals(0x8000_0004, smmu.priProd());
        assertEquals(List.of(new DeliveredResponse(1, new PageResponse(3, 0x10, false, PageResponseCode.SUCCESS))),
                smmu.unit.deliveredResponses());
        // Software consumes everything but has not acknowledged: the queue stays closed, and a request
        // that is not the last of its group gets no answer.
        Smmuv3Mmio.write32(smmu.unit, 0x100CC, 0x4);
        assertEquals(0, driver.recordPageRequest(smmu.unit, device(1), pri(1, -1, 0xA000, Access.READ, 0x11, false)).length);
        assertEquals(0x8000_0004, smmu.priProd());
        assertEquals(1, smmu.unit.deliveredResponses().size());
        // Acknowledged (OVACKFLG = OVFLG): entries are queued again.
        Smmuv3Mmio.write32(smmu.unit, 0x100CC, 0x8000_0004);
        assertEquals(16, driver.recordPageRequest(smmu.unit, device(1), pri(1, -1, 0xB000, Access.READ, 0x12, false)).length);
        assertEquals(0x8000_0005, smmu.priProd());
        // Slot 0 (PROD wrapped): SID 1, Read, not Last; PRGIndex 0x12 at 0xB000.
        assertEquals(0x1000_0000_0000_0001L, smmu.priEntry(0, 0));
        assertEquals(0xB012, smmu.priEntry(0, 1));
    }

    @Test
    void withPriqenClearLastRequestsAreAnsweredInvalid() {
        EnabledSmmu smmu = new EnabledSmmu(Features.typical());
        Smmuv3Mmio.write32(smmu.unit, 0x20, 0b1101);
        assertEquals(0, driver.recordPageRequest(smmu.unit, device(2), pri(2, 1, 0x1000, Access.READ, 5, false)).length);
        assertEquals(0, driver.recordPageRequest(smmu.unit, device(2), pri(2, 1, 0x2000, Access.READ, 5, true)).length);
        assertEquals(0, smmu.priProd());
        assertEquals(List.of(new DeliveredResponse(2, new PageResponse(1, 5, false, PageResponseCode.INVALID))),
                smmu.unit.deliveredResponses());
    }
}
