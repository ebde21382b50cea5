package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.ARM;
import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static io.nestor.core.iommufd.HwptAllocFlags.NEST_PARENT;
import static io.nestor.core.iommufd.HwptTestDriver.NESTED_DATA_TYPE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** IOMMU_HWPT_INVALIDATE: the order of checks, and entry_num written back also on failure. */
class HwptInvalidateTest {
    private static final int LEN = 8;

    private final DeviceFixture f = new DeviceFixture();
    private final int dev = f.bind(NIC);
    private final int ioas = f.ioas();
    private final int parent = f.pagingHwpt(dev, ioas, NEST_PARENT);
    private final int nested = f.context.hwpts().alloc(HwptAllocCommand.nested(0, dev, parent, NESTED_DATA_TYPE,
            new byte[8]));

    private static byte[] entries(int... firstBytes) {
        byte[] out = new byte[firstBytes.length * LEN];
        for (int i = 0; i < firstBytes.length; i++) {
            out[i * LEN] = (byte) firstBytes[i];
        }
        return out;
    }

    private long entryNum(IommuException e) {
        Map<String, Long> out = e.outValues();
        assertTrue(out.containsKey(HwptInvalidation.ENTRY_NUM), "entry_num written back: " + e);
        return out.get(HwptInvalidation.ENTRY_NUM);
    }

    @Test
    void entriesReachTheNestedDomainsDriver() {
        assertEquals(3, f.context.invalidation().invalidate(
                HwptInvalidateCommand.of(nested, NESTED_DATA_TYPE, LEN, 3, entries(1, 2, 3))));
        int tag = f.object(nested, ObjectType.HWPT_NESTED, HwptNested.class).descriptor().tag();
        assertTrue(f.vtd.calls.contains("invalidateUser " + tag + " 3"), f.vtd.calls.toString());
    }

    @Test
    void aBadEntryStopsProcessingAndReportsHowManyWentBefore() {
        IommuException e = f.failsUnchanged(Errno.EINVAL, () -> f.context.invalidation().invalidate(
                HwptInvalidateCommand.of(nested, NESTED_DATA_TYPE, LEN, 4, entries(1, 2, 0xBD, 4))));
        assertEquals(2, entryNum(e));
    }

    @Test
    void earlyErrorsInOrderReportZero() {
        byte[] two = entries(1, 2);
        assertEquals(0, entryNum(f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.invalidation().invalidate(
                new HwptInvalidateCommand(999, 0, 0, 2, null, false, 1)))));
        assertEquals(0, entryNum(f.failsUnchanged(Errno.EINVAL, () -> f.context.invalidation().invalidate(
                new HwptInvalidateCommand(999, NESTED_DATA_TYPE, LEN, 2, null, false, 0)))));
        assertEquals(0, entryNum(f.failsUnchanged(Errno.EINVAL, () -> f.context.invalidation().invalidate(
                HwptInvalidateCommand.of(999, NESTED_DATA_TYPE, 0, 2, two)))));
        assertEquals(0, entryNum(f.failsUnchanged(Errno.ENOENT, () -> f.context.invalidation().invalidate(
                HwptInvalidateCommand.of(999, NESTED_DATA_TYPE, LEN, 2, two)))));
        assertEquals(0, entryNum(f.failsUnchanged(Errno.EINVAL, () -> f.context.invalidation().invalidate(
                HwptInvalidateCommand.of(parent, NESTED_DATA_TYPE, LEN, 2, two)))), "a paging HWPT");
        assertEquals(0, entryNum(f.failsUnchanged(Errno.EINVAL, () -> f.context.invalidation().invalidate(
                HwptInvalidateCommand.of(nested, 0x1234, LEN, 2, two)))), "the driver's type check");
        assertEquals(0, entryNum(f.failsUnchanged(Errno.EFAULT, () -> f.context.invalidation().invalidate(
                HwptInvalidateCommand.of(nested, NESTED_DATA_TYPE, LEN, 3, two)))), "array shorter than entry_num");
    }

    @Test
    void entryNumZeroIsATypeProbe() {
        assertEquals(0, f.context.invalidation().invalidate(
                new HwptInvalidateCommand(nested, NESTED_DATA_TYPE, 0, 0, null, false, 0)));
        assertEquals(0, entryNum(f.failsUnchanged(Errno.EINVAL, () -> f.context.invalidation().invalidate(
                new HwptInvalidateCommand(nested, 0x1234, 0, 0, null, false, 0)))));
    }

    @Test
    void aViommuInvalidationSeesItsVdevices() {
        int arm = f.bind(ARM);
        int armParent = f.pagingHwpt(arm, ioas, NEST_PARENT);
        int viommu = f.context.viommus().allocViommu(0, 1, arm, armParent, null);
        f.context.viommus().allocVdevice(viommu, arm, 0x21);
        assertEquals(1, f.context.invalidation().invalidate(HwptInvalidateCommand.of(viommu, 1, LEN, 1, entries(0x21))));
        assertTrue(f.smmu.calls.contains("invalidateViommu vsid 33 -> " + ARM), f.smmu.calls.toString());
        IommuException e = f.failsUnchanged(Errno.EIO, () -> f.context.invalidation().invalidate(
                HwptInvalidateCommand.of(viommu, 1, LEN, 2, entries(0x21, 0x22))));
        assertEquals(1, entryNum(e));
    }
}
