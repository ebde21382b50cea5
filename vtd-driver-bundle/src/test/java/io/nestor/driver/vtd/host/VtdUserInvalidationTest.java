package io.nestor.driver.vtd.host;

import static io.nestor.driver.vtd.host.HostFixture.DISK;
import static io.nestor.driver.vtd.host.HostFixture.DRIVER;
import static io.nestor.driver.vtd.host.HostFixture.NIC;
import static io.nestor.driver.vtd.host.HostFixture.concat;
import static io.nestor.driver.vtd.host.HostFixture.fails;
import static io.nestor.driver.vtd.host.HostFixture.inv;
import static io.nestor.driver.vtd.host.HostFixture.s1;
import static io.nestor.driver.vtd.host.HostFixture.upUnit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.vtd.Features;
import io.nestor.testkit.TestUnitContext;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VtdUserInvalidationTest {

    private static final int TYPE = IommuHwptVtdS1Invalidate.DATA_TYPE;
    private static final int LEN = IommuHwptVtdS1Invalidate.SIZE;

    private TestUnitContext u;
    private DomainDescriptor parent;
    private DomainDescriptor nested;
    private int did;

    @BeforeEach
    void attachNestedToTwoPasids() {
        u = upUnit(Features.typical());
        parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        nested = DRIVER.allocNestedDomain(u, parent, IommuHwptAllocFlags.PASID, IommuHwptVtdS1.DATA_TYPE,
                s1(0, 0x10_0000L, 48));
        did = nested.tag();
        DRIVER.attachDevice(u, DISK, nested);
        DRIVER.attachPasid(u, NIC, 5, nested);
        u.invalidations().clear();
    }

    @Test
    void eachEntryReachesEveryAttachedPasid() {
        int n = DRIVER.invalidateUser(u, nested, TYPE, LEN,
                concat(inv(0x20_0000L, 1, IommuHwptVtdS1Invalidate.FLAG_LEAF, 0), inv(0x3000L, 3, 0, 0)));
        assertEquals(2, n);
        assertEquals(List.of(
                new InvalidationScope.AddressSpaceRange(0, did, 5, 0x20_0000L, 0x1000, true),
                new InvalidationScope.AddressSpaceRange(0, did, 0, 0x20_0000L, 0x1000, true),
                // three pages at 0x3000 straddle an alignment boundary: the covering block is 0x0-0x7fff
                new InvalidationScope.AddressSpaceRange(0, did, 5, 0, 0x8000, false),
                new InvalidationScope.AddressSpaceRange(0, did, 0, 0, 0x8000, false)), u.invalidations());
    }

    @Test
    void everythingIsPasidSelective() {
        assertEquals(1, DRIVER.invalidateUser(u, nested, TYPE, LEN, inv(0, -1L, 0, 0)));
        assertEquals(List.of(new InvalidationScope.AddressSpace(0, did, 5), new InvalidationScope.AddressSpace(0, did, 0)),
                u.invalidations());
    }

    @Test
    void aBlockBeyondMamvBecomesPasidSelective() {
        DRIVER.invalidateUser(u, nested, TYPE, LEN, inv(0, 1L << 20, 0, 0)); // 4 GiB: mask 20 > MAMV 18
        assertEquals(new InvalidationScope.AddressSpace(0, did, 5), u.invalidations().get(0));
    }

    @Test
    void processingStopsAtTheFirstBadEntryAndReportsTheCount() {
        byte[] good = inv(0x1000, 1, 0, 0);
        List<Object[]> cases = List.of(
                new Object[] {inv(0x1000, 1, 2, 0), Errno.EOPNOTSUPP},
                new Object[] {inv(0x1000, 1, 0, 1), Errno.EOPNOTSUPP},
                new Object[] {inv(0x1800, 1, 0, 0), Errno.EINVAL},
                new Object[] {inv(0x1000, -1L, 0, 0), Errno.EINVAL},
                new Object[] {inv(0x1000, 0, 0, 0), Errno.EINVAL},
                new Object[] {inv(0xFFFF_FFFF_FFFF_F000L, 2, 0, 0), Errno.EINVAL});
        for (Object[] c : cases) {
            u.invalidations().clear();
            IommuException e = fails((Errno) c[1],
                    () -> DRIVER.invalidateUser(u, nested, TYPE, LEN, concat(good, good, (byte[]) c[0], good)));
            assertEquals(2L, e.outValues().get("entry_num"));
            assertEquals(4, u.invalidations().size(), "two entries, two PASIDs each");
        }
    }

    @Test
    void typeLengthAndDomainAreCheckedFirst() {
        assertEquals(0L, fails(Errno.EINVAL, () -> DRIVER.invalidateUser(u, nested, 1, LEN, inv(0, 1, 0, 0)))
                .outValues().get("entry_num"));
        assertEquals(0L, fails(Errno.EINVAL, () -> DRIVER.invalidateUser(u, nested, TYPE, 16, new byte[32]))
                .outValues().get("entry_num"));
        assertEquals(0L, fails(Errno.EINVAL, () -> DRIVER.invalidateUser(u, nested, TYPE, 32, new byte[32]))
                .outValues().get("entry_num"));
        // entry_len is a u32: 0xFFFFFFE8 divides no array, so the entries are refused, not skipped
        assertEquals(0L, fails(Errno.EINVAL, () -> DRIVER.invalidateUser(u, nested, TYPE, -LEN, inv(0, 1, 0, 0)))
                .outValues().get("entry_num"));
        fails(Errno.EINVAL, () -> DRIVER.invalidateUser(u, parent, TYPE, LEN, inv(0, 1, 0, 0)));
        assertTrue(u.invalidations().isEmpty());
        assertEquals(0, DRIVER.invalidateUser(u, nested, TYPE, 0, new byte[0]), "a probe");
    }

    @Test
    void atsDevicesGetDeviceTlbDescriptorsInTheQueue() {
        // NIC has ATS: after the PASID-based IOTLB descriptor comes a PASID-based device-TLB one
        long iqa = u.registers().read64(io.nestor.driver.vtd.hw.VtdRegisterOffsets.IQA) & ~0xFFFL;
        long tailBefore = u.registers().read64(io.nestor.driver.vtd.hw.VtdRegisterOffsets.IQT);
        DRIVER.invalidateUser(u, nested, TYPE, LEN, inv(0x4000, 2, 0, 0));
        long slot = iqa + tailBefore;
        assertEquals(VtdQiDescriptor.piotlbPages(did, 5, 0x4000, 1, false).q0(), u.memory().read64(slot));
        assertEquals(VtdQiDescriptor.pasidDeviceTlb(NIC.sourceId(), 5, 0x4000, 1), new VtdQiDescriptor(
                u.memory().read64(slot + 32), u.memory().read64(slot + 40), 0, 0));
        assertEquals(VtdQiDescriptor.TYPE_PASID_IOTLB, (int) (u.memory().read64(slot + 64) & 0xF), "DISK: no ATS");
        assertEquals(VtdQiDescriptor.TYPE_WAIT, (int) (u.memory().read64(slot + 96) & 0xF));
    }
}
