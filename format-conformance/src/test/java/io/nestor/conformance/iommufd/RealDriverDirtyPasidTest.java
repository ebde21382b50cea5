package io.nestor.conformance.iommufd;

import static io.nestor.conformance.iommufd.RealDriverPlatform.ARM;
import static io.nestor.conformance.iommufd.RealDriverPlatform.NIC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Access;
import io.nestor.core.iommufd.DirtyTracking;
import io.nestor.core.iommufd.HwptAllocCommand;
import io.nestor.core.iommufd.HwptAllocFlags;
import io.nestor.core.iommufd.IommufdContext;
import io.nestor.core.iommufd.ContextOptions;
import org.junit.jupiter.api.Test;

/**
 * With the real drivers: dirty bitmaps from the second stages' hardware dirty bits (VT-d SSADS's D
 * bit, SMMUv3 HTTU's DBM + S2AP[1]), PASID attachments on VT-d, and no structure page growing over
 * repeated sessions (everything a context built is given back when it closes).
 */
class RealDriverDirtyPasidTest {
    private static final int RID = DeviceInfo.NO_PASID;
    private static final long VA = 0x7000_0000L;
    private static final long PA = 0x2_0000_0000L;

    private final RealDriverPlatform p = new RealDriverPlatform();

    private void dirtyBitmaps(String device) {
        p.region(VA, 0x10_0000L, PA);
        int ioas = p.context.ioas().alloc(0);
        p.map(ioas, VA, 0x8000, 0x10_0000L);
        int dev = p.context.devices().bind(device);
        int hwpt = p.context.hwpts().alloc(HwptAllocCommand.paging(HwptAllocFlags.DIRTY_TRACKING, dev, ioas));
        p.context.devices().attach(dev, RID, hwpt);
        p.context.dirty().setDirtyTracking(hwpt, DirtyTracking.ENABLE);
        p.dma(device, RID, 0x10_1000L, Access.WRITE);
        p.dma(device, RID, 0x10_7ff8L, Access.WRITE);
        p.dma(device, RID, 0x10_3000L, Access.READ);
        assertArrayEquals(new long[] {0b1000_0010}, p.context.dirty().getDirtyBitmap(hwpt, DirtyTracking.NO_CLEAR, 0,
                0x10_0000L, 0x8000, 0x1000));
        assertArrayEquals(new long[] {0b1000_0010}, p.context.dirty().getDirtyBitmap(hwpt, 0, 0, 0x10_0000L, 0x8000,
                0x1000));
        assertArrayEquals(new long[] {0}, p.context.dirty().getDirtyBitmap(hwpt, 0, 0, 0x10_0000L, 0x8000, 0x1000),
                "cleared by the read");
        assertEquals(PA + 0x1000, p.dma(device, RID, 0x10_1000L, Access.WRITE), "still writable after the clear");
        assertArrayEquals(new long[] {0b10}, p.context.dirty().getDirtyBitmap(hwpt, 0, 0, 0x10_0000L, 0x8000,
                0x1000), "the write after the clear is seen: the IOTLB was flushed");
    }

    @Test
    void vtdSecondStageDirtyBits() {
        dirtyBitmaps(NIC);
    }

    @Test
    void smmuStage2DirtyBits() {
        dirtyBitmaps(ARM);
    }

    @Test
    void vtdPasidAttachmentsTranslateTheirOwnRequests() {
        p.region(VA, 0x10_0000L, PA);
        int ioas = p.context.ioas().alloc(0);
        p.map(ioas, VA, 0x2000, 0x10_0000L);
        int ioas2 = p.context.ioas().alloc(0);
        p.map(ioas2, VA + 0x8000, 0x2000, 0x10_0000L);
        int nic = p.context.devices().bind(NIC);
        int ridHwpt = p.context.hwpts().alloc(HwptAllocCommand.paging(HwptAllocFlags.PASID, nic, ioas));
        int pasidHwpt = p.context.hwpts().alloc(HwptAllocCommand.paging(HwptAllocFlags.PASID, nic, ioas2));
        p.context.devices().attach(nic, RID, ridHwpt);
        p.context.devices().attach(nic, 9, pasidHwpt);
        assertEquals(PA + 0x10, p.dma(NIC, RID, 0x10_0010L, Access.READ));
        assertEquals(PA + 0x8010, p.dma(NIC, 9, 0x10_0010L, Access.READ));
        IommuException busy = org.junit.jupiter.api.Assertions.assertThrows(IommuException.class,
                () -> p.context.devices().attach(nic, 9, ridHwpt));
        assertEquals(Errno.EBUSY, busy.errno());
        p.context.devices().replace(nic, 9, ridHwpt);
        assertEquals(PA + 0x10, p.dma(NIC, 9, 0x10_0010L, Access.READ), "replaced");
        p.context.devices().detach(nic, 9);
        assertEquals(-1, p.dma(NIC, 9, 0x10_0010L, Access.READ), "detached PASID: blocked");
        assertEquals(PA + 0x10, p.dma(NIC, RID, 0x10_0010L, Access.READ), "the RID stays");
    }

    /** One session's worth of objects on both units, closed at the end. */
    private void session() {
        IommufdContext c = new IommufdContext(ContextOptions.defaults(), p.regions, p.platform);
        int ioas = c.ioas().alloc(0);
        c.ioas().map(new io.nestor.core.iommufd.IoasMapCommand(RealDriverPlatform.RW
                | io.nestor.core.iommufd.IoasMapFlags.FIXED_IOVA, ioas, 0, VA, 0x4000, 0x80_0000_0000L));
        int nic = c.devices().bind(NIC);
        int arm = c.devices().bind(ARM);
        int parent = c.hwpts().alloc(HwptAllocCommand.paging(HwptAllocFlags.NEST_PARENT | HwptAllocFlags.PASID, nic,
                ioas));
        c.devices().attach(nic, RID, parent);
        c.devices().attach(nic, 3, parent);
        c.devices().attach(arm, RID, ioas);
        int armParent = c.hwpts().alloc(HwptAllocCommand.paging(HwptAllocFlags.NEST_PARENT, arm, ioas));
        c.viommus().allocViommu(0, 1, arm, armParent, null);
        assertEquals(PA + 0x10, p.dma(ARM, RID, 0x80_0000_0010L, Access.READ));
        c.close();
    }

    @Test
    void repeatedSessionsGiveEveryStructurePageBack() {
        p.region(VA, 0x10_0000L, PA);
        session(); // the first one also brings both units up (root, queues, stream table)
        long afterFirst = p.registry.structurePages().livePages();
        session();
        session();
        assertEquals(afterFirst, p.registry.structurePages().livePages(), "no page leaked per session");
        assertEquals(0, p.platform.bindings().boundCount());
        assertEquals(-1, p.dma(ARM, RID, 0x80_0000_0010L, Access.READ));
    }
}
