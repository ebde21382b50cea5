package io.nestor.driver.vtd.host;

import static io.nestor.driver.vtd.host.HostFixture.DRIVER;
import static io.nestor.driver.vtd.host.HostFixture.NIC;
import static io.nestor.driver.vtd.host.HostFixture.fails;
import static io.nestor.driver.vtd.host.HostFixture.unit;
import static io.nestor.driver.vtd.host.HostFixture.upUnit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;
import io.nestor.testkit.TestUnitContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class VtdQueuedInvalidationTest {

    @Test
    void submissionAdvancesTheTailPastTheWaitDescriptor() {
        TestUnitContext u = upUnit(Features.typical());
        long tail = u.registers().read64(VtdRegisterOffsets.IQT);
        VtdQueuedInvalidation.submitSync(u, List.of(VtdQiDescriptor.iotlbDomain(7)));
        assertEquals(tail + 64, u.registers().read64(VtdRegisterOffsets.IQT));
        assertEquals(u.registers().read64(VtdRegisterOffsets.IQT), u.registers().read64(VtdRegisterOffsets.IQH));
        assertEquals(List.of(new InvalidationScope.Domain(0, 7)), u.invalidations());
    }

    @Test
    void theQueueWrapsAround() {
        TestUnitContext u = upUnit(Features.typical());
        for (int i = 0; i < 300; i++) {
            VtdQueuedInvalidation.submitSync(u, List.of(VtdQiDescriptor.iotlbDomain(2 + i % 100)));
        }
        assertEquals(300, u.invalidations().size());
        assertEquals(new InvalidationScope.Domain(0, 2 + 299 % 100), u.invalidations().get(299));
    }

    @Test
    void aRefusedDescriptorIsEioAndTheQueueRecovers() {
        Features f = Features.typical();
        f.deviceTlb = false; // device-TLB descriptors are refused without ECAP.DT
        TestUnitContext u = upUnit(f);
        fails(Errno.EIO, () -> VtdQueuedInvalidation.submitSync(u,
                List.of(VtdQiDescriptor.iotlbDomain(3), VtdQiDescriptor.deviceTlb(0x10, 0, 0))));
        assertEquals(0, u.registers().read32(VtdRegisterOffsets.FSTS) & VtdQueuedInvalidation.FSTS_IQE);
        VtdQueuedInvalidation.submitSync(u, List.of(VtdQiDescriptor.iotlbDomain(4)));
        assertEquals(List.of(new InvalidationScope.Domain(0, 3), new InvalidationScope.Domain(0, 4)), u.invalidations());
    }

    @Test
    void submittingWithoutQueuedInvalidationIsEio() {
        fails(Errno.EIO, () -> VtdQueuedInvalidation.submitSync(unit(), List.of(VtdQiDescriptor.iotlbGlobal())));
    }

    @Test
    void pageResponsesGoThroughTheQueueToTheDevice() {
        TestUnitContext u = upUnit(Features.typical());
        PageResponse withPasid = new PageResponse(0x42, 0x1FF, false, PageResponseCode.SUCCESS);
        PageResponse without = new PageResponse(-1, 3, false, PageResponseCode.INVALID);
        DRIVER.pageResponse(u, NIC, withPasid);
        DRIVER.pageResponse(u, NIC, without);
        assertEquals(List.of(new TestUnitContext.DeliveredResponse(NIC.sourceId(), withPasid),
                new TestUnitContext.DeliveredResponse(NIC.sourceId(), without)), u.deliveredResponses());
    }

    @Test
    void pageResponseChecks() {
        TestUnitContext u = upUnit(Features.typical());
        fails(Errno.EINVAL, () -> DRIVER.pageResponse(u, NIC, new PageResponse(1, 2, true, PageResponseCode.SUCCESS)));
        fails(Errno.EINVAL, () -> DRIVER.pageResponse(u, NIC, new PageResponse(1, 512, false, PageResponseCode.SUCCESS)));
        fails(Errno.EINVAL, () -> DRIVER.pageResponse(u, NIC,
                new PageResponse(1 << 20, 2, false, PageResponseCode.SUCCESS)));
        Features f = Features.typical();
        f.pageRequests = false;
        TestUnitContext noPrs = upUnit(f);
        fails(Errno.EOPNOTSUPP, () -> DRIVER.pageResponse(noPrs, NIC,
                new PageResponse(1, 2, false, PageResponseCode.SUCCESS)));
        assertTrue(u.deliveredResponses().isEmpty());
    }
}
