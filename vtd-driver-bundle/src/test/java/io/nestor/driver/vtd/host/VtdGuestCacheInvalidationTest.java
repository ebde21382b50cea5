package io.nestor.driver.vtd.host;

import static io.nestor.driver.vtd.host.HostFixture.DISK;
import static io.nestor.driver.vtd.host.HostFixture.DRIVER;
import static io.nestor.driver.vtd.host.HostFixture.NIC;
import static io.nestor.driver.vtd.host.HostFixture.SMALL;
import static io.nestor.driver.vtd.host.HostFixture.fails;
import static io.nestor.driver.vtd.host.HostFixture.upUnit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.vtd.Features;
import io.nestor.testkit.TestUnitContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VtdGuestCacheInvalidationTest {

    private TestUnitContext u;
    private DomainDescriptor parent;
    private int did;

    private static byte[] info(int argsz, int version, int cache, int granu, int flags, long pasid, long addr,
            long granuleSize, long nb) {
        return ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN).putInt(0, argsz).putInt(4, version)
                .put(8, (byte) cache).put(9, (byte) granu).putInt(16, flags).putLong(24, pasid).putLong(32, addr)
                .putLong(40, granuleSize).putLong(48, nb).array();
    }

    private static byte[] info(int cache, int granu, int flags, long pasid, long addr, long granuleSize, long nb) {
        return info(56, 1, cache, granu, flags, pasid, addr, granuleSize, nb);
    }

    @BeforeEach
    void setUp() {
        u = upUnit(Features.typical());
        parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        did = parent.tag();
        DRIVER.attachDevice(u, NIC, parent);
        DRIVER.attachDevice(u, DISK, parent);
        u.invalidations().clear();
    }

    @Test
    void addressGranularityIsPageSelectiveWithinThePasid() {
        DRIVER.cacheInvalidate(u, NIC, parent, info(IommuCacheInvalidateInfo.CACHE_IOTLB,
                IommuCacheInvalidateInfo.GRANU_ADDR, IommuCacheInvalidateInfo.FLAG_PASID | IommuCacheInvalidateInfo.FLAG_LEAF,
                0x300, 0x20_0000L, 0x1000, 512));
        assertEquals(List.of(new InvalidationScope.AddressSpaceRange(0, did, 0x300, 0x20_0000L, 0x20_0000L, true)),
                u.invalidations());
    }

    @Test
    void pasidAndDomainGranularities() {
        DRIVER.cacheInvalidate(u, DISK, parent, info(IommuCacheInvalidateInfo.CACHE_ALL,
                IommuCacheInvalidateInfo.GRANU_PASID, IommuCacheInvalidateInfo.FLAG_PASID, 0x300, 0, 0, 0));
        assertEquals(List.of(new InvalidationScope.AddressSpace(0, did, 0x300),
                new InvalidationScope.DomainConfig(0, did, 0x300), new InvalidationScope.DomainConfig(0, did, -1)),
                u.invalidations(), "DISK has no device TLB: no DEV_IOTLB descriptor");
        u.invalidations().clear();
        DRIVER.cacheInvalidate(u, NIC, parent, info(IommuCacheInvalidateInfo.CACHE_IOTLB | IommuCacheInvalidateInfo.CACHE_PASID,
                IommuCacheInvalidateInfo.GRANU_DOMAIN, 0, 0, 0, 0, 0));
        assertEquals(List.of(new InvalidationScope.Domain(0, did),
                new InvalidationScope.DomainConfig(0, did, InvalidationScope.ANY)), u.invalidations());
    }

    @Test
    void atsDevicesGetTheirDeviceTlbFlushedToo() {
        long tail = u.registers().read64(io.nestor.driver.vtd.hw.VtdRegisterOffsets.IQT);
        long base = u.registers().read64(io.nestor.driver.vtd.hw.VtdRegisterOffsets.IQA) & ~0xFFFL;
        DRIVER.cacheInvalidate(u, NIC, parent, info(IommuCacheInvalidateInfo.CACHE_IOTLB,
                IommuCacheInvalidateInfo.GRANU_PASID, IommuCacheInvalidateInfo.FLAG_PASID, 0x300, 0, 0, 0));
        assertEquals(VtdQiDescriptor.pasidDeviceTlb(NIC.sourceId(), 0x300, 0, VtdQiDescriptor.DEVTLB_ALL).q1(),
                u.memory().read64(base + tail + 32 + 8));
    }

    @Test
    void everyRuleHasItsErrno() {
        int iotlb = IommuCacheInvalidateInfo.CACHE_IOTLB;
        fails(Errno.EFAULT, () -> DRIVER.cacheInvalidate(u, NIC, parent, new byte[8]));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent, info(15, 1, iotlb, 0, 0, 0, 0, 0, 0)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent, info(31, 1, iotlb, 1, 1, 3, 0, 0, 0)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent, info(55, 1, iotlb, 2, 1, 3, 0, 0, 0)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent, info(56, 2, iotlb, 1, 1, 3, 0, 0, 0)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent, info(8, 1, 1, 3, 0, 0, 0)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent, info(iotlb, 3, 0, 0, 0, 0, 0)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent,
                info(IommuCacheInvalidateInfo.CACHE_PASID, 2, 1, 3, 0, 0x1000, 1)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent, info(iotlb, 2, 8, 3, 0, 0x1000, 1)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent, info(iotlb, 1, 4, 3, 0, 0, 0)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent,
                info(IommuCacheInvalidateInfo.CACHE_DEV_IOTLB, 0, 0, 0, 0, 0, 0)));
        byte[] padded = info(iotlb, 1, 1, 3, 0, 0, 0);
        padded[12] = 1;
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent, padded));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent, info(iotlb, 1, 1, 1 << 20, 0, 0, 0)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, parent, info(iotlb, 2, 1, 3, 0, 1L << 40, 1L << 40)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, NIC, DRIVER.allocPagingDomain(u, 0), info(iotlb, 1, 1, 3, 0, 0, 0)));
        fails(Errno.EINVAL, () -> DRIVER.cacheInvalidate(u, SMALL, parent, info(iotlb, 1, 1, 3, 0, 0, 0)));
        assertTrue(u.invalidations().isEmpty());
    }
}
