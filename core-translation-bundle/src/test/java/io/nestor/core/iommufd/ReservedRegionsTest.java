package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static io.nestor.core.iommufd.DeviceFixture.NIC2;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.ReservedRegion;
import io.nestor.api.error.Errno;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A device's reserved regions in the IOAS its RID attaches to: IOVA_RANGES, MAP, replace, detach. */
class ReservedRegionsTest {
    private static final int RID = DeviceInfo.NO_PASID;
    private static final long LAST48 = (1L << 48) - 1;

    private final DeviceFixture f = new DeviceFixture();
    private final int nic = f.bind(NIC);
    private final int ioas = f.ioas();

    {
        f.vtd.reserved = List.of(new ReservedRegion(0xfee0_0000L, 0x10_0000L, ReservedRegion.Type.MSI),
                new ReservedRegion(0x1_0000L, 0x1_0000L, ReservedRegion.Type.DIRECT_RELAXABLE));
    }

    private List<IovaRange> ranges(int id) {
        return f.context.ioas().iovaRanges(id, 16, 0).ranges();
    }

    @Test
    void attachReservesDetachReleases() {
        f.context.devices().attach(nic, RID, ioas);
        assertEquals(List.of(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, LAST48)), ranges(ioas),
                "the MSI window is a hole; DIRECT_RELAXABLE is not reserved");
        f.failsUnchanged(Errno.EINVAL, () -> f.mapRegion(ioas, 0xfee0_0000L, 0x1000));
        int nic2 = f.bind(NIC2);
        f.context.devices().attach(nic2, RID, ioas);
        f.context.devices().detach(nic, RID);
        assertEquals(2, ranges(ioas).size(), "the other device still reserves it");
        f.context.devices().detach(nic2, RID);
        assertEquals(List.of(new IovaRange(0, -1L)), ranges(ioas), "all gone with the last device and domain");
    }

    @Test
    void aMappingInTheWayFailsTheAttachWithEaddrinuse() {
        f.mapRegion(ioas, 0xfee0_0000L, 0x1000);
        f.failsUnchanged(Errno.EADDRINUSE, () -> f.context.devices().attach(nic, RID, ioas));
        int hwpt = f.pagingHwpt(nic, ioas, 0);
        f.failsUnchanged(Errno.EADDRINUSE, () -> f.context.devices().attach(nic, RID, hwpt));
        f.context.ioas().allowIovas(ioas, List.of(new IovaRange(0xfe00_0000L, 0xfeff_ffffL)), 0);
        f.context.ioas().unmap(ioas, 0, -1L);
        f.failsUnchanged(Errno.EADDRINUSE, () -> f.context.devices().attach(nic, RID, hwpt)); // allowed range
    }

    @Test
    void regionsMoveWithAReplaceOnlyAcrossIoases() {
        int ioas2 = f.ioas();
        int a = f.pagingHwpt(nic, ioas, HwptAllocFlags.PASID);
        int b = f.pagingHwpt(nic, ioas, HwptAllocFlags.PASID);
        int c = f.pagingHwpt(nic, ioas2, HwptAllocFlags.PASID);
        f.context.devices().attach(nic, RID, a);
        f.context.devices().replace(nic, RID, b);
        assertEquals(2, ranges(ioas).size(), "same IOAS: still reserved");
        f.context.devices().replace(nic, RID, c);
        assertEquals(List.of(new IovaRange(0, LAST48)), ranges(ioas), "left the old IOAS");
        assertEquals(2, ranges(ioas2).size(), "arrived in the new one");
        f.context.devices().attach(nic, 4, a);
        assertEquals(List.of(new IovaRange(0, LAST48)), ranges(ioas), "a PASID reserves nothing");
    }

    @Test
    void hardwareAndSoftwareMsiTogetherAreRefused() {
        f.vtd.reserved = List.of(new ReservedRegion(0xfee0_0000L, 0x10_0000L, ReservedRegion.Type.MSI),
                new ReservedRegion(0x800_0000L, 0x10_0000L, ReservedRegion.Type.SW_MSI));
        int hwpt = f.pagingHwpt(nic, ioas, 0);
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().attach(nic, RID, hwpt));
    }

    @Test
    void aNestedAttachReservesInItsParentsIoas() {
        int parent = f.pagingHwpt(nic, ioas, HwptAllocFlags.NEST_PARENT);
        int nested = f.context.hwpts().alloc(HwptAllocCommand.nested(0, nic, parent, HwptTestDriver.NESTED_DATA_TYPE,
                new byte[8]));
        f.context.devices().attach(nic, RID, nested);
        assertEquals(List.of(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, LAST48)), ranges(ioas));
        f.context.devices().replace(nic, RID, parent);
        assertEquals(2, ranges(ioas).size(), "same IOAS behind both: the regions stay");
        f.context.devices().detach(nic, RID);
        assertEquals(List.of(new IovaRange(0, LAST48)), ranges(ioas));
    }
}
