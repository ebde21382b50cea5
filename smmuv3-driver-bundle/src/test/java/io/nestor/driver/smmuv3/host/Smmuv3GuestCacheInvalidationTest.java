package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** VFIO CACHE_INVALIDATE of the nested-stage series: (cache, granularity) pairs to commands. */
class Smmuv3GuestCacheInvalidationTest {

    private static final int SID = 0x55;
    private static final int IOTLB = 1;
    private static final int DEV_IOTLB = 2;
    private static final int PASID_CACHE = 4;
    private static final int DOMAIN = 0;
    private static final int PASID = 1;
    private static final int ADDR = 2;

    private final HostFixture f = HostFixture.typical();
    private final DeviceInfo device = HostFixture.device(SID, true, false);
    private final DomainDescriptor parent = f.driver.allocPagingDomain(f.unit, 1);
    private final int vmid = parent.tag();

    private static ByteBuffer info(int cache, int granularity) {
        ByteBuffer b = ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 56).putInt(4, 1).put(8, (byte) cache).put(9, (byte) granularity);
        return b;
    }

    private static byte[] pasidInfo(int cache, int flags, int archid, long pasid) {
        return info(cache, PASID).putInt(16, flags).putInt(20, archid).putLong(24, pasid).array();
    }

    private static byte[] addrInfo(int cache, int flags, int archid, long pasid, long addr, long granule, long count) {
        return info(cache, ADDR).putInt(16, flags).putInt(20, archid).putLong(24, pasid).putLong(32, addr)
                .putLong(40, granule).putLong(48, count).array();
    }

    private List<Smmuv3Command> run(byte[] info) {
        Smmuv3DeviceReset.ensureUp(f.unit);
        int mark = f.commands().size();
        f.unit.invalidations().clear();
        f.driver.cacheInvalidate(f.unit, device, parent, info);
        return f.commandsSince(mark);
    }

    private void assertEinval(byte[] info) {
        Smmuv3DeviceReset.ensureUp(f.unit);
        int mark = f.commands().size();
        IommuException e = assertThrows(IommuException.class, () -> f.driver.cacheInvalidate(f.unit, device, parent, info));
        assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
        assertEquals(mark, f.commands().size());
    }

    @Test
    void domainGranularity() {
        List<Smmuv3Command> cmds = run(info(IOTLB | PASID_CACHE, DOMAIN).array());
        assertEquals(new Smmuv3Command(0x10 | (long) vmid << 32, 0), cmds.get(0));
        assertEquals(new Smmuv3Command(0x06 | (long) SID << 32, 0), cmds.get(1));
        assertEquals(Smmuv3Command.SYNC, cmds.get(2).opcode());
        assertEquals(new InvalidationScope.AddressSpace(0, vmid, InvalidationScope.ANY), f.unit.invalidations().get(0));
    }

    @Test
    void pasidGranularityWithArchidAndPasid() {
        List<Smmuv3Command> cmds = run(pasidInfo(IOTLB | DEV_IOTLB | PASID_CACHE, 3, 0x44, 9));
        assertEquals(new Smmuv3Command(0x11 | (long) vmid << 32 | 0x44L << 48, 0), cmds.get(0));
        assertEquals(new Smmuv3Command(0x40 | 1L << 11 | 9L << 12 | (long) SID << 32, 52), cmds.get(1));
        assertEquals(new Smmuv3Command(0x05 | 9L << 12 | (long) SID << 32, 1), cmds.get(2));
        assertEquals(List.of(new InvalidationScope.AddressSpace(0, vmid, 0x44),
                new InvalidationScope.DeviceConfig(0, SID, 9)), f.unit.invalidations());
    }

    @Test
    void pasidGranularityWithoutArchidFlushesEveryAsid() {
        List<Smmuv3Command> cmds = run(pasidInfo(IOTLB | PASID_CACHE, 1, 0, 9));
        assertEquals(0x10, cmds.get(0).opcode());
        assertEquals(0x05, cmds.get(1).opcode());
        List<Smmuv3Command> byArchid = run(pasidInfo(PASID_CACHE, 2, 0x44, 0));
        assertEquals(new Smmuv3Command(0x06 | (long) SID << 32, 0), byArchid.get(0), "no PASID: CFGI_CD_ALL");
    }

    @Test
    void addressGranularityPerGranuleAndAtcSpan() {
        List<Smmuv3Command> cmds = run(addrInfo(IOTLB | DEV_IOTLB, 2 | 4, 0x44, 0, 0x12_3000L, 0x1000, 3));
        for (int i = 0; i < 3; i++) {
            assertEquals(new Smmuv3Command(0x12 | (long) vmid << 32 | 0x44L << 48, (0x12_3000L + 0x1000L * i) | 1),
                    cmds.get(i));
        }
        // pages 0x123..0x125: smallest aligned power-of-two span is 8 pages at 0x120
        assertEquals(new Smmuv3Command(0x40 | (long) SID << 32, 0x12_0000L | 3), cmds.get(3));
        assertEquals(new InvalidationScope.AddressSpaceRange(0, vmid, 0x44, 0x12_3000L, 0x1000, true),
                f.unit.invalidations().get(0));
    }

    @Test
    void addressGranularityWithoutArchidAndLongRanges() {
        List<Smmuv3Command> vaa = run(addrInfo(IOTLB, 0, 0, 0, 0x10000, 0x10000, 1));
        assertEquals(new Smmuv3Command(0x13 | (long) vmid << 32, 0x10000), vaa.get(0));
        List<Smmuv3Command> many = run(addrInfo(IOTLB, 2, 0x44, 0, 0, 0x1000, 65));
        assertEquals(List.of(0x11, 0x46), many.stream().map(Smmuv3Command::opcode).toList(),
                "65 granules: the whole ASID");
    }

    @Test
    void devIotlbOnADeviceWithoutAtsIssuesNothing() {
        DeviceInfo noAts = HostFixture.device(SID, false, false);
        Smmuv3DeviceReset.ensureUp(f.unit);
        int mark = f.commands().size();
        f.driver.cacheInvalidate(f.unit, noAts, parent, pasidInfo(DEV_IOTLB, 1, 0, 3));
        assertEquals(List.of(Smmuv3Command.SYNC), f.opcodesSince(mark));
    }

    @Test
    void invalidRequestsAreEinvalAndIssueNothing() {
        assertEinval(info(IOTLB, DOMAIN).putInt(4, 2).array());
        assertEinval(info(IOTLB, DOMAIN).putInt(0, 8).array());
        assertEinval(info(0, DOMAIN).array());
        assertEinval(info(8, DOMAIN).array());
        assertEinval(info(IOTLB, 3).array());
        assertEinval(info(DEV_IOTLB, DOMAIN).array());
        assertEinval(info(PASID_CACHE, ADDR).array());
        assertEinval(pasidInfo(IOTLB, 0, 0, 0));
        assertEinval(pasidInfo(IOTLB, 8, 0, 0));
        assertEinval(pasidInfo(IOTLB, 1, 0, 1L << 20));
        assertEinval(pasidInfo(IOTLB, 2, 0x10000, 0));
        assertEinval(info(IOTLB, PASID).putInt(0, 24).array());
        assertEinval(addrInfo(IOTLB, 0, 0, 0, 0, 0x2000, 1));
        assertEinval(addrInfo(IOTLB, 0, 0, 0, 0, 0x1000, 0));
        assertEinval(addrInfo(IOTLB, 0, 0, 0, -0x1000L, 0x1000, 2));
        DomainDescriptor plain = f.driver.allocPagingDomain(f.unit, 0);
        IommuException e = assertThrows(IommuException.class,
                () -> f.driver.cacheInvalidate(f.unit, device, plain, info(IOTLB, DOMAIN).array()));
        assertEquals(Errno.EINVAL, e.errno());
    }
}
