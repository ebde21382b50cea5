package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.ARM;
import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static io.nestor.core.iommufd.HwptAllocFlags.DIRTY_TRACKING;
import static io.nestor.core.iommufd.HwptAllocFlags.FAULT_ID_VALID;
import static io.nestor.core.iommufd.HwptAllocFlags.NEST_PARENT;
import static io.nestor.core.iommufd.HwptAllocFlags.PASID;
import static io.nestor.core.iommufd.HwptTestDriver.NESTED_DATA_TYPE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import java.util.List;
import org.junit.jupiter.api.Test;

/** IOMMU_HWPT_ALLOC: the kernel's check order, every errno with nothing changed, and the results. */
class HwptAllocTest {
    private static final byte[] NESTED = {1, 2, 3, 4, 5, 6, 7, 8};

    private final DeviceFixture f = new DeviceFixture();
    private final int dev = f.bind(NIC);
    private final int ioas = f.ioas();

    private HwptAllocCommand cmd(int flags, int ptId, int reserved, int type, byte[] data, int faultId) {
        return new HwptAllocCommand(flags, dev, ptId, reserved, type, data, faultId);
    }

    @Test
    void commonChecksInOrder() {
        int parent = f.pagingHwpt(dev, ioas, NEST_PARENT);
        // __reserved first, even with every other field wrong
        f.failsUnchanged(Errno.EOPNOTSUPP,
                () -> f.context.hwpts().alloc(new HwptAllocCommand(-1, 999, 999, 1, 0, NESTED, 0)));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.hwpts().alloc(cmd(0, ioas, 0, 0, NESTED, 0)));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.hwpts().alloc(cmd(0, parent, 0, NESTED_DATA_TYPE, null, 0)));
        f.failsUnchanged(Errno.ENOENT,
                () -> f.context.hwpts().alloc(new HwptAllocCommand(0, ioas, ioas, 0, 0, null, 0)));
        // pt_id missing or of the wrong kind: EINVAL, not ENOENT
        f.failsUnchanged(Errno.EINVAL, () -> f.context.hwpts().alloc(HwptAllocCommand.paging(0, dev, 777)));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.hwpts().alloc(HwptAllocCommand.paging(0, dev, dev)));
        int nested = f.context.hwpts().alloc(HwptAllocCommand.nested(0, dev, parent, NESTED_DATA_TYPE, NESTED));
        f.failsUnchanged(Errno.EINVAL,
                () -> f.context.hwpts().alloc(HwptAllocCommand.nested(0, dev, nested, NESTED_DATA_TYPE, NESTED)));
    }

    @Test
    void pagingChecksInOrder() {
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.pagingHwpt(dev, ioas, ~NEST_PARENT));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.pagingHwpt(dev, ioas, 1 << 4));
        f.failsUnchanged(Errno.EOPNOTSUPP,
                () -> f.context.hwpts().alloc(cmd(0, ioas, 0, NESTED_DATA_TYPE, NESTED, 0)));
        f.vtd.capabilities = 0;
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.pagingHwpt(dev, ioas, DIRTY_TRACKING));
        f.vtd.capabilities = io.nestor.api.driver.HwInfo.CAP_DIRTY_TRACKING;
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.pagingHwpt(dev, ioas, FAULT_ID_VALID | NEST_PARENT));
        // FAULT_ID_VALID with no such FAULT object: ENOENT after the allocation, which is undone
        f.failsUnchanged(Errno.ENOENT, () -> f.context.hwpts().alloc(cmd(FAULT_ID_VALID, ioas, 0, 0, null, -1)));
        assertTrue(f.vtd.calls.contains("allocPaging 0"), "the driver saw the flags without FAULT_ID_VALID");
        f.vtd.failing.put("allocPaging", Errno.ENOSPC);
        f.failsUnchanged(Errno.ENOSPC, () -> f.pagingHwpt(dev, ioas, 0));
        f.vtd.failing.clear();
        f.vtd.failing.put("pagingFormat", Errno.EINVAL);
        f.failsUnchanged(Errno.EINVAL, () -> f.pagingHwpt(dev, ioas, 0));
    }

    @Test
    void aPagingHwptMirrorsTheIoasAndNarrowsItsRanges() {
        f.mapRegion(ioas, 0x10_0000L, 0x4000);
        int id = f.pagingHwpt(dev, ioas, NEST_PARENT | PASID);
        HwptPaging h = f.object(id, ObjectType.HWPT_PAGING, HwptPaging.class);
        assertTrue(h.nestParent());
        assertTrue(h.pasidCompat());
        assertFalse(h.autoDomain());
        assertEquals("dmar0", h.unit().name());
        assertEquals(List.of(new IovaRange(0, (1L << 48) - 1)),
                f.context.ioas().iovaRanges(ioas, 10, 0).ranges(), "the 48-bit aperture");
        assertEquals(2, f.context.objects().users(ioas), "the HWPT holds its IOAS");
        f.failsUnchanged(Errno.EBUSY, () -> f.context.destroy(ioas));
        DriverPagingDomain d = (DriverPagingDomain) h.domain();
        assertEquals(h.descriptor().rootAddress(), d.builder().rootAddress(), "built under the driver's root");
        f.context.destroy(id);
        assertEquals(List.of(new IovaRange(0, -1L)), f.context.ioas().iovaRanges(ioas, 10, 0).ranges());
        assertEquals(0, f.tablePages.livePages());
    }

    @Test
    void nestedChecksInOrder() {
        int parent = f.pagingHwpt(dev, ioas, NEST_PARENT);
        int plain = f.pagingHwpt(dev, ioas, 0);
        f.failsUnchanged(Errno.EOPNOTSUPP,
                () -> f.context.hwpts().alloc(HwptAllocCommand.nested(NEST_PARENT, dev, parent, NESTED_DATA_TYPE, NESTED)));
        f.failsUnchanged(Errno.EOPNOTSUPP,
                () -> f.context.hwpts().alloc(HwptAllocCommand.nested(0, dev, parent, 0, null)));
        f.failsUnchanged(Errno.EINVAL,
                () -> f.context.hwpts().alloc(HwptAllocCommand.nested(0, dev, plain, NESTED_DATA_TYPE, NESTED)));
        int armDev = f.bind(ARM);
        f.failsUnchanged(Errno.EINVAL,
                () -> f.context.hwpts().alloc(HwptAllocCommand.nested(0, armDev, parent, NESTED_DATA_TYPE, NESTED)));
        f.failsUnchanged(Errno.EOPNOTSUPP,
                () -> f.context.hwpts().alloc(HwptAllocCommand.nested(0, dev, parent, 0x77, NESTED)));
        f.failsUnchanged(Errno.EINVAL,
                () -> f.context.hwpts().alloc(HwptAllocCommand.nested(0, dev, parent, NESTED_DATA_TYPE, new byte[4])));
        f.vtd.failing.put("nestedNotNested", Errno.EIO);
        f.failsUnchanged(Errno.EOPNOTSUPP,
                () -> f.context.hwpts().alloc(HwptAllocCommand.nested(0, dev, parent, NESTED_DATA_TYPE, NESTED)));
    }

    @Test
    void anAutomaticHwptIsNoNestParent() {
        f.context.devices().attach(dev, -1, ioas);
        int auto = f.context.devices().attach(f.bind(DeviceFixture.NIC2), -1, ioas);
        f.failsUnchanged(Errno.EINVAL,
                () -> f.context.hwpts().alloc(HwptAllocCommand.nested(0, dev, auto, NESTED_DATA_TYPE, NESTED)));
    }

    @Test
    void aNestedHwptHoldsItsParentAndJoinsItsFlushes() {
        f.mapRegion(ioas, 0x10_0000L, 0x2000);
        int parent = f.pagingHwpt(dev, ioas, NEST_PARENT);
        int nested = f.context.hwpts().alloc(HwptAllocCommand.nested(PASID, dev, parent, NESTED_DATA_TYPE, NESTED));
        HwptNested n = f.object(nested, ObjectType.HWPT_NESTED, HwptNested.class);
        assertTrue(n.pasidCompat());
        f.failsUnchanged(Errno.EBUSY, () -> f.context.destroy(parent));
        f.vtd.calls.clear();
        f.context.ioas().unmap(ioas, 0x10_0000L, 0x2000);
        int parentTag = f.object(parent, ObjectType.HWPT_PAGING, HwptPaging.class).descriptor().tag();
        assertEquals("flush " + parentTag + " 100000+2000 [" + n.descriptor().tag() + "]", f.vtd.calls.get(0));
        f.context.destroy(nested);
        f.vtd.calls.clear();
        f.mapRegion(ioas, 0x10_0000L, 0x1000);
        f.context.ioas().unmap(ioas, 0x10_0000L, 0x1000);
        assertEquals("flush " + parentTag + " 100000+1000 []", f.vtd.calls.get(0), "the child's tag left");
        f.context.destroy(parent);
    }
}
