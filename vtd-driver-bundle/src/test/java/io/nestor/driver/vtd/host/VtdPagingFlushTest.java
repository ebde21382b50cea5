package io.nestor.driver.vtd.host;

import static io.nestor.driver.vtd.host.HostFixture.DRIVER;
import static io.nestor.driver.vtd.host.HostFixture.NIC;
import static io.nestor.driver.vtd.host.HostFixture.fails;
import static io.nestor.driver.vtd.host.HostFixture.s1;
import static io.nestor.driver.vtd.host.HostFixture.unit;
import static io.nestor.driver.vtd.host.HostFixture.upUnit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;
import io.nestor.testkit.TestUnitContext;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The paging-domain flush after the core changed a second-stage table: IOTLB (type 2) per DID. */
class VtdPagingFlushTest {

    @Test
    void pageSelectivePerDidForTheParentAndEachNestedChild() {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        DomainDescriptor nested = DRIVER.allocNestedDomain(u, parent, 0, IommuHwptVtdS1.DATA_TYPE,
                s1(0, 0x10_0000L, 48));
        u.invalidations().clear();
        DRIVER.flushPagingRange(u, parent, 0x20_0000L, 0x3000, new int[] {nested.tag()});
        // three pages at 0x200000: the covering PSI block is 4 pages there
        assertEquals(List.of(new InvalidationScope.Stage2Range(0, parent.tag(), 0x20_0000L, 0x4000, false),
                new InvalidationScope.Stage2Range(0, nested.tag(), 0x20_0000L, 0x4000, false)), u.invalidations());
    }

    @Test
    void beyondMamvItIsDomainSelectiveAndAttachedAtsDevicesGetADeviceTlbFlush() {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor paging = DRIVER.allocPagingDomain(u, 0);
        DRIVER.attachDevice(u, NIC, paging);
        u.invalidations().clear();
        long tail = u.registers().read64(VtdRegisterOffsets.IQT) >>> 5;
        DRIVER.flushPagingRange(u, paging, 0, 1L << 32, new int[0]); // mask 20 > MAMV
        assertEquals(List.of(new InvalidationScope.Domain(0, paging.tag())), u.invalidations());
        long base = u.registers().read64(VtdRegisterOffsets.IQA) & ~0xFFFL;
        long iotlb = u.memory().read64(base + (tail << 5));
        long devtlb = u.memory().read64(base + ((tail + 1) << 5));
        assertEquals(VtdQiDescriptor.iotlbDomain(paging.tag()).q0(), iotlb);
        assertEquals(VtdQiDescriptor.TYPE_DEVICE_TLB, (int) (devtlb & 0xF), "device-TLB flush for the ATS NIC");
        assertEquals(NIC.sourceId(), (int) (devtlb >>> 32) & 0xFFFF);
    }

    @Test
    void aUnitNeverBroughtUpCachesNothingAndANestedDomainIsRefused() {
        TestUnitContext u = unit();
        DomainDescriptor paging = DRIVER.allocPagingDomain(u, 0);
        DRIVER.flushPagingRange(u, paging, 0, 0x1000, new int[0]);
        assertTrue(u.invalidations().isEmpty());
        DomainDescriptor nested = new DomainDescriptor(true, 9, 0x1000, 48, 0, new byte[0]);
        fails(Errno.EINVAL, () -> DRIVER.flushPagingRange(u, nested, 0, 0x1000, new int[0]));
    }
}
