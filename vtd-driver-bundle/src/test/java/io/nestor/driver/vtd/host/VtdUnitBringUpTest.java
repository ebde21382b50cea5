package io.nestor.driver.vtd.host;

import static io.nestor.driver.vtd.host.HostFixture.unit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;
import io.nestor.testkit.TestUnitContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class VtdUnitBringUpTest {

    @Test
    void bringUpProgramsQueueRootTablePageRequestsAndTranslation() {
        TestUnitContext u = unit();
        long root = VtdUnitBringUp.ensure(u);

        int gsts = u.registers().read32(VtdRegisterOffsets.GSTS);
        assertEquals(VtdUnitBringUp.GSTS_TES | VtdUnitBringUp.GSTS_RTPS | VtdUnitBringUp.GSTS_QIES,
                gsts & (VtdUnitBringUp.GSTS_TES | VtdUnitBringUp.GSTS_RTPS | VtdUnitBringUp.GSTS_QIES));
        assertEquals(root | VtdUnitBringUp.RTADDR_SMT, u.registers().read64(VtdRegisterOffsets.RTADDR));
        assertTrue(u.isLivePage(root));
        long iqa = u.registers().read64(VtdRegisterOffsets.IQA);
        assertEquals(VtdQueuedInvalidation.IQA_DW | 1, iqa & 0xFFF, "DW=1, QS=1");
        assertTrue(u.isLivePage(iqa & ~0xFFFL));
        long pqa = u.registers().read64(VtdRegisterOffsets.PQA);
        assertEquals(VtdUnitBringUp.PRQ_ORDER, pqa & 7);
        assertTrue(u.isLivePage(pqa & ~0xFFFL));
        // root 1 + queue 4 + page request queue 16
        assertEquals(21, u.livePages());
        // the global flushes Linux issues after latching a root table, processed by the queue
        assertEquals(List.of(new InvalidationScope.UnitConfig(0), new InvalidationScope.UnitConfig(0),
                new InvalidationScope.Unit(0)), u.invalidations().subList(0, 3));
        // the wait descriptor's status slot says done
        assertEquals(VtdQiDescriptor.QI_DONE, u.memory().read32(VtdQueuedInvalidation.statusArea(iqa) + 4 * 3));
    }

    @Test
    void bringUpIsIdempotentAndReadsItsStateFromRegisters() {
        TestUnitContext u = unit();
        long root = VtdUnitBringUp.ensure(u);
        int pages = u.livePages();
        int flushes = u.invalidations().size();
        assertEquals(root, VtdUnitBringUp.ensure(u));
        assertEquals(pages, u.livePages());
        assertEquals(flushes, u.invalidations().size());
    }

    @Test
    void noPageRequestQueueWithoutPrs() {
        Features f = Features.typical();
        f.pageRequests = false;
        TestUnitContext u = unit(f);
        VtdUnitBringUp.ensure(u);
        assertEquals(0, u.registers().read64(VtdRegisterOffsets.PQA));
        assertEquals(5, u.livePages());
    }
}
