package io.nestor.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.core.ioasid.IoasidSet;
import io.nestor.core.iommufd.ContextOptions;
import io.nestor.core.iommufd.HwptAllocFlags;
import io.nestor.core.unit.DriverBinding;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TYPE1_NESTING mode: the nesting ops, PASID requests with the session's set, and teardown. */
class VfioNestingTest {
    private static final String DEV = "0000:00:02.0";
    private static final int ALLOC = VfioNestingOps.PASID_ALLOC;
    private static final int FREE = VfioNestingOps.PASID_FREE;
    private final VfioFixture f = new VfioFixture(4);

    private VfioContainer nesting(int group) {
        return f.container(group, VfioExtension.TYPE1_NESTING_IOMMU);
    }

    @Test
    void theStageTwoIsANestParentAndTheContainerHoldsOneGroup() {
        VfioContainer c = nesting(0);
        assertEquals(List.of("alloc " + HwptAllocFlags.NEST_PARENT, "attach " + DEV), f.vtd.ops());
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.setContainer(1));
        VfioContainer two = f.container();
        two.setContainer(2);
        two.setContainer(3);
        f.assertFailsRolledBack(Errno.EINVAL, two, () -> two.setIommu(VfioExtension.TYPE1_NESTING_IOMMU));
        assertEquals(1, f.unit("dmar0").allocatedIds("did"), "only the first container's domain is left");
    }

    @Test
    void nestingOpChecksInTheSeriesOrder() {
        VfioContainer plain = f.container(1, VfioExtension.TYPE1V2_IOMMU);
        f.assertFailsUnchanged(Errno.EINVAL, plain, () -> plain.nestingOp(0x1_0000, new byte[72], null));
        f.assertFailsUnchanged(Errno.EINVAL, plain, () -> plain.nestingOp(6, new byte[72], null));
        f.assertFailsUnchanged(Errno.EOPNOTSUPP, plain, () -> plain.nestingOp(VfioNestingOps.BIND_PGTBL,
                NestingTestDriver.bindData(1), null));
        f.assertFailsUnchanged(Errno.EOPNOTSUPP, plain, () -> plain.pasidRequest(ALLOC, 1, 100));
        VfioContainer c = nesting(0);
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.nestingOp(VfioNestingOps.CACHE_INVLD, new byte[16],
                "0000:00:03.0")); // a device of another container
        f.assertFailsUnchanged(Errno.EOPNOTSUPP, c, () -> c.nestingOp(VfioNestingOps.SET_PASID_TABLE,
                new byte[40], null)); // VT-d binds per PASID
        f.assertFailsUnchanged(Errno.EOPNOTSUPP, c, () -> c.nestingOp(VfioNestingOps.UNSET_PASID_TABLE,
                new byte[0], null));
    }

    @Test
    void withoutASessionPasidSetBindIsEinvalAndPasidRequestsEopnotsupp() {
        VfioContainer c = new VfioContainer(f.platform, f.groups, f.session, f.regions, ContextOptions.defaults(),
                VfioContainerOptions.defaults(), null);
        c.setContainer(0);
        c.setIommu(VfioExtension.TYPE1_NESTING_IOMMU);
        f.assertFailsUnchanged(Errno.EINVAL, c,
                () -> c.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(1), null));
        f.assertFailsUnchanged(Errno.EOPNOTSUPP, c, () -> c.pasidRequest(ALLOC, 1, 100));
        c.close();
    }

    @Test
    void pasidRequestChecksAndQuota() {
        VfioContainer c = nesting(0);
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.pasidRequest(4, 1, 10));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.pasidRequest(0, 1, 10));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.pasidRequest(ALLOC | FREE, 1, 10));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.pasidRequest(ALLOC, 10, 1));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.pasidRequest(ALLOC, -1, 5)); // unsigned: min > max
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.pasidRequest(ALLOC, 1, 0x8000_0000)); // beyond 31 bits
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.pasidRequest(FREE, 1, 0x8000_0000));
        List<Integer> got = List.of(c.pasidRequest(ALLOC, 100, 200), c.pasidRequest(ALLOC, 100, 200),
                c.pasidRequest(ALLOC, 100, 200), c.pasidRequest(ALLOC, 1, 5));
        assertEquals(List.of(100, 101, 102, 1), got);
        f.assertFailsUnchanged(Errno.ENOSPC, c, () -> c.pasidRequest(ALLOC, 1, 1000)); // quota 4
        assertEquals(0, c.pasidRequest(FREE, 101, 150));
        assertEquals(List.of(1, 100), f.pasids.pasids());
        assertEquals(101, c.pasidRequest(ALLOC, 101, 200), "the lowest free one again");
    }

    @Test
    void bindNeedsAPasidOfTheSessionAndHoldsItUntilUnbind() {
        VfioContainer c = nesting(0);
        f.vtd.calls.clear();
        f.assertFailsUnchanged(Errno.ENOENT, c,
                () -> c.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(7), null));
        IoasidSet other = f.registry.ioasids().openSet("session-b", 4);
        int foreign = other.allocate(1, 100);
        f.assertFailsUnchanged(Errno.EACCES, c,
                () -> c.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(foreign), null));
        int pasid = c.pasidRequest(ALLOC, 1, 100);
        c.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(pasid), null);
        assertEquals(List.of("bind " + DEV + " " + pasid), f.vtd.ops());
        assertEquals(List.of(pasid), c.boundPasids());
        // unbinding someone else's PASID, or one never bound, succeeds and touches nothing
        c.nestingOp(VfioNestingOps.UNBIND_PGTBL, NestingTestDriver.bindData(foreign), null);
        c.nestingOp(VfioNestingOps.UNBIND_PGTBL, NestingTestDriver.bindData(pasid + 1), null);
        assertEquals(1, f.vtd.ops().size());
        assertTrue(f.registry.ioasids().isAllocated(foreign), "the other session's PASID is untouched");
        c.nestingOp(VfioNestingOps.UNBIND_PGTBL, NestingTestDriver.bindData(pasid), DEV);
        assertEquals("unbind " + DEV + " " + pasid, f.vtd.ops().get(1));
        assertEquals(List.of(), c.boundPasids());
        assertEquals(1, f.pasids.count(), "the binding's reference went back; the PASID stays the session's");
    }

    @Test
    void aFailingBindChangesNothing() {
        VfioContainer c = nesting(0);
        int pasid = c.pasidRequest(ALLOC, 1, 100);
        f.vtd.failures.put("bind " + DEV + " " + pasid, Errno.EBUSY);
        f.assertFailsUnchanged(Errno.EBUSY, c,
                () -> c.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(pasid), null));
        c.pasidRequest(FREE, pasid, pasid);
        assertFalse(f.registry.ioasids().isAllocated(pasid), "no reference was left behind");
    }

    @Test
    void freeingABoundPasidUnbindsItFirst() {
        VfioContainer c = nesting(0);
        int pasid = c.pasidRequest(ALLOC, 1, 100);
        c.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(pasid), null);
        assertEquals(0, c.pasidRequest(FREE, 0, Integer.MAX_VALUE));
        assertTrue(f.vtd.ops().contains("unbind " + DEV + " " + pasid));
        assertFalse(f.registry.ioasids().isAllocated(pasid));
        assertEquals(List.of(), c.boundPasids());
    }

    @Test
    void twoContainersOfOneSessionShareItsPasidsAndOtherSessionsCannotFreeThem() {
        VfioContainer a = nesting(0);
        VfioContainer b = nesting(1);
        int pasid = a.pasidRequest(ALLOC, 1, 100);
        b.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(pasid), null); // vfio_mm is per VM
        IoasidSet otherSet = f.registry.ioasids().openSet("session-b", 4);
        VfioContainer stranger = f.stranger(new Object(), otherSet);
        stranger.setContainer(2);
        stranger.setIommu(VfioExtension.TYPE1_NESTING_IOMMU);
        assertEquals(0, stranger.pasidRequest(FREE, 0, 1000));
        assertTrue(f.registry.ioasids().isAllocated(pasid), "a FREE of another session's range leaves them");
        f.assertFailsUnchanged(Errno.EACCES, stranger,
                () -> stranger.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(pasid), null));
        b.close();
        assertTrue(f.vtd.ops().contains("unbind 0000:00:03.0 " + pasid), "close unbinds");
        assertEquals(1, f.pasids.count());
        stranger.close();
        a.close();
    }

    @Test
    void cacheInvalidationReachesEveryDeviceAndReportsTheDriversErrno() {
        VfioContainer c = nesting(0);
        c.nestingOp(VfioNestingOps.CACHE_INVLD, new byte[32], null);
        assertTrue(f.vtd.ops().contains("cacheInvalidate " + DEV + " 32"));
        f.vtd.failures.put("cacheInvalidate " + DEV + " 8", Errno.EINVAL);
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.nestingOp(VfioNestingOps.CACHE_INVLD, new byte[8], null));
    }

    @Test
    void pageResponseGoesToTheNamedDevice() {
        VfioContainer c = nesting(0);
        byte[] ok = IommuPageResponse.encode(IommuPageResponse.FLAG_PASID_VALID, 5, 0x1a, 0);
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.nestingOp(VfioNestingOps.PAGE_RESP, ok, null));
        byte[] badVersion = IommuPageResponse.encode(0, 5, 1, 0);
        badVersion[4] = 2;
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.nestingOp(VfioNestingOps.PAGE_RESP, badVersion, DEV));
        f.assertFailsUnchanged(Errno.EINVAL, c,
                () -> c.nestingOp(VfioNestingOps.PAGE_RESP, IommuPageResponse.encode(2, 5, 1, 0), DEV));
        f.assertFailsUnchanged(Errno.EINVAL, c,
                () -> c.nestingOp(VfioNestingOps.PAGE_RESP, IommuPageResponse.encode(0, 5, 1, 3), DEV));
        byte[] shortArgsz = IommuPageResponse.encode(0, 5, 1, 0);
        shortArgsz[0] = 20;
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.nestingOp(VfioNestingOps.PAGE_RESP, shortArgsz, DEV));
        f.assertFailsUnchanged(Errno.EFAULT, c, () -> c.nestingOp(VfioNestingOps.PAGE_RESP, new byte[2], DEV));
        c.nestingOp(VfioNestingOps.PAGE_RESP, ok, DEV);
        c.nestingOp(VfioNestingOps.PAGE_RESP, IommuPageResponse.encode(0, 9, 3, 1), DEV);
        assertEquals(List.of(new PageResponse(5, 0x1a, false, PageResponseCode.SUCCESS),
                new PageResponse(-1, 3, false, PageResponseCode.INVALID)), f.vtd.responses);
    }

    @Test
    void smmuNestingBindsPasidTablesNotPageTables() {
        VfioContainer c = nesting(4);
        byte[] info = c.getInfo(4096).buffer();
        assertTrue(info.length > 0);
        f.assertFailsUnchanged(Errno.EOPNOTSUPP, c,
                () -> c.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(1), null));
        f.assertFailsUnchanged(Errno.EOPNOTSUPP, c, () -> c.pasidRequest(ALLOC, 1, 10)); // no system-wide PASIDs
        f.smmu.failures.put("setPasidTable 0001:00:01.0", Errno.EINVAL);
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.nestingOp(VfioNestingOps.SET_PASID_TABLE, new byte[40], null));
        f.smmu.failures.clear();
        c.nestingOp(VfioNestingOps.SET_PASID_TABLE, new byte[40], null);
        c.close();
        assertTrue(f.smmu.ops().contains("unsetPasidTable 0001:00:01.0"), "close unsets the guest's table");
        assertTrue(f.smmu.ops().indexOf("unsetPasidTable 0001:00:01.0") < f.smmu.ops().indexOf("detach 0001:00:01.0"));
    }

    @Test
    void closeWithBindingsGivesEverythingBack() {
        long pages = f.structurePages();
        VfioContainer c = nesting(0);
        c.mapDma(VfioFixture.RW, VfioFixture.VA, 0x10_0000, 0x10_0000);
        int p1 = c.pasidRequest(ALLOC, 1, 100);
        int p2 = c.pasidRequest(ALLOC, 1, 100);
        c.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(p1), null);
        c.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(p2), null);
        c.close();
        assertTrue(f.vtd.ops().containsAll(List.of("unbind " + DEV + " " + p1, "unbind " + DEV + " " + p2)));
        assertTrue(f.vtd.ops().indexOf("unbind " + DEV + " " + p2) < f.vtd.ops().indexOf("detach " + DEV));
        assertEquals(pages, f.structurePages());
        assertEquals(0, f.regions.totalPins());
        assertEquals(2, f.pasids.count(), "no binding reference is left; the PASIDs are the session's");
        f.pasids.close();
        assertFalse(f.registry.ioasids().isAllocated(p1));
        assertEquals(Errno.EBADF, assertThrows(IommuException.class, () -> c.pasidRequest(ALLOC, 1, 2)).errno());
    }

    @Test
    void whileTheUnitHasNoDriverItsOpsAnswerEagainAndChangeNothing() {
        VfioContainer c = nesting(0);
        int pasid = c.pasidRequest(ALLOC, 1, 100);
        c.mapDma(VfioFixture.RW, VfioFixture.VA, 0x10_0000, 0x1000);
        f.registry.setDriverWaitMillis(0);
        f.registry.removeDriver(1); // the VT-d driver bundle stops
        f.assertFailsUnchanged(Errno.EAGAIN, c,
                () -> c.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(pasid), null));
        f.assertFailsUnchanged(Errno.EAGAIN, c, () -> c.nestingOp(VfioNestingOps.CACHE_INVLD, new byte[16], null));
        // editing the tables waits for a driver too (the domain enters the driver for every edit)
        f.assertFailsUnchanged(Errno.EAGAIN, c, () -> c.mapDma(VfioFixture.RW, VfioFixture.VA, 0x20_0000, 0x1000));
        f.registry.addDriver(new DriverBinding(f.vtd, f.vtd.kind(), "test.vtd", 1, "1.0.1", 0, 3));
        c.nestingOp(VfioNestingOps.BIND_PGTBL, NestingTestDriver.bindData(pasid), null);
        assertEquals(List.of(pasid), c.boundPasids());
        assertEquals(VfioFixture.PA, f.translate(0, 0x10_0000), "the mapping survived the driver's absence");
    }
}
