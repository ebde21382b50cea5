package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static io.nestor.core.iommufd.HwptAllocFlags.DIRTY_TRACKING;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.translation.Access;
import org.junit.jupiter.api.Test;

/** SET_DIRTY_TRACKING and GET_DIRTY_BITMAP over the dirty bits the walker sets on DMA writes. */
class DirtyTrackingTest {
    private static final int RID = DeviceInfo.NO_PASID;

    private final DeviceFixture f = new DeviceFixture();
    private final int dev = f.bind(NIC);
    private final int ioas = f.ioas();

    private int trackedAndAttached() {
        f.mapRegion(ioas, 0x10_0000L, 0x8000);
        int h = f.pagingHwpt(dev, ioas, DIRTY_TRACKING);
        f.context.devices().attach(dev, RID, h);
        return h;
    }

    @Test
    void writesShowUpOnceAndNoClearKeepsThem() {
        int h = trackedAndAttached();
        f.translate(NIC, RID, 0x10_0000L, Access.WRITE); // dirties page 0 before tracking starts
        f.context.dirty().setDirtyTracking(h, DirtyTracking.ENABLE);
        assertArrayEquals(new long[] {0}, f.context.dirty().getDirtyBitmap(h, DirtyTracking.NO_CLEAR, 0,
                0x10_0000L, 0x8000, 0x1000), "enabling cleared what was dirty before");
        f.translate(NIC, RID, 0x10_2000L, Access.WRITE);
        f.translate(NIC, RID, 0x10_5008L, Access.WRITE);
        f.translate(NIC, RID, 0x10_6000L, Access.READ);
        assertArrayEquals(new long[] {0b10_0100}, f.context.dirty().getDirtyBitmap(h, DirtyTracking.NO_CLEAR, 0,
                0x10_0000L, 0x8000, 0x1000));
        assertArrayEquals(new long[] {0b10_0100}, f.context.dirty().getDirtyBitmap(h, 0, 0, 0x10_0000L, 0x8000,
                0x1000), "NO_CLEAR kept them");
        assertArrayEquals(new long[] {0}, f.context.dirty().getDirtyBitmap(h, 0, 0, 0x10_0000L, 0x8000, 0x1000),
                "the read cleared them");
        f.translate(NIC, RID, 0x10_2000L, Access.WRITE); // the IOTLB was flushed: the write marks again
        assertArrayEquals(new long[] {0b1}, f.context.dirty().getDirtyBitmap(h, 0, 0, 0x10_2000L, 0x2000, 0x1000));
        f.translate(NIC, RID, 0x10_3000L, Access.WRITE);
        assertArrayEquals(new long[] {0b1}, f.context.dirty().getDirtyBitmap(h, 0, 0, 0x10_0000L, 0x8000, 0x8000),
                "one 32 KiB bitmap page covers the dirty 4 KiB leaf");
    }

    @Test
    void errorsInOrderChangeNothing() {
        int h = trackedAndAttached();
        int plain = f.pagingHwpt(dev, ioas, 0);
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.dirty().setDirtyTracking(999, 2));
        f.failsUnchanged(Errno.ENOENT, () -> f.context.dirty().setDirtyTracking(ioas, 1));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.dirty().setDirtyTracking(plain, 1));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.dirty().getDirtyBitmap(999, 2, 0, 0, 0x1000, 0x1000));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.dirty().getDirtyBitmap(999, 0, 1, 0, 0x1000, 0x1000));
        f.failsUnchanged(Errno.ENOENT, () -> f.context.dirty().getDirtyBitmap(999, 0, 0, 0, 0x1000, 0x1000));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.dirty().getDirtyBitmap(plain, 0, 0, 0x10_0000L, 0x1000,
                0x1000));
        f.failsUnchanged(Errno.EOVERFLOW, () -> f.context.dirty().getDirtyBitmap(h, 0, 0, -0x1000L, 0x2000, 0x1000));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.dirty().getDirtyBitmap(h, 0, 0, 0x10_0800L, 0x1000, 0x1000));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.dirty().getDirtyBitmap(h, 0, 0, 0x10_0000L, 0x1000, 0));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.dirty().getDirtyBitmap(h, 0, 0, 0x10_1000L, 0x1000, 0x2000));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.dirty().getDirtyBitmap(h, 0, 0, 0x10_0000L, 0x10000, 0x1000));
        f.context.dirty().setDirtyTracking(h, 1);
        f.context.dirty().setDirtyTracking(h, 1); // again: no-op
        f.context.dirty().setDirtyTracking(h, 0);
        assertEquals(false, f.object(h, ObjectType.HWPT_PAGING, HwptPaging.class).dirtyTracking());
    }
}
