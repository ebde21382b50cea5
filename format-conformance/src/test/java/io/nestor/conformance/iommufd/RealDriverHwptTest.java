package io.nestor.conformance.iommufd;

import static io.nestor.conformance.iommufd.RealDriverPlatform.ARM;
import static io.nestor.conformance.iommufd.RealDriverPlatform.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.core.iommufd.HwptAllocCommand;
import io.nestor.core.iommufd.HwptAllocFlags;
import io.nestor.core.iommufd.HwptInvalidateCommand;
import io.nestor.core.iommufd.IovaRange;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.driver.vtd.host.IommuHwptVtdS1;
import io.nestor.driver.vtd.host.IommuHwptVtdS1Invalidate;
import io.nestor.driver.vtd.hw.format.VtdFirstStageFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * End to end with the real drivers: IOAS → HWPT_PAGING on dmar0 and smmu0 → attach → DMA
 * translates; UNMAP → DMA faults (the driver's flush reached the IOTLB before the tables were
 * freed). Nested: a VT-d first stage from {@code iommu_hwpt_vtd_s1} over guest tables in memory,
 * HWPT_INVALIDATE of a changed guest mapping, and a parent unmap reaching the nested DID; an SMMUv3
 * vIOMMU with a bypass guest STE, whose VMID a parent unmap reaches too.
 */
class RealDriverHwptTest {
    private static final int RID = DeviceInfo.NO_PASID;
    private static final long VA = 0x7000_0000L;
    private static final long PA = 0x2_0000_0000L;

    private final RealDriverPlatform p = new RealDriverPlatform();

    private void pagingRoundTrip(String device) {
        p.region(VA, 0x10_0000L, PA);
        int ioas = p.context.ioas().alloc(0);
        p.map(ioas, VA, 0x4000, 0x10_0000L);
        int dev = p.context.devices().bind(device);
        int hwpt = p.context.hwpts().alloc(HwptAllocCommand.paging(0, dev, ioas));
        assertEquals(hwpt, p.context.devices().attach(dev, RID, hwpt));
        assertEquals(PA + 0x1234, p.dma(device, RID, 0x10_1234L, Access.READ));
        assertEquals(PA + 0x1234, p.dma(device, RID, 0x10_1234L, Access.READ), "again, from the IOTLB");
        assertEquals(PA + 0x3ff8, p.dma(device, RID, 0x10_3ff8L, Access.WRITE));
        p.context.ioas().unmap(ioas, 0x10_0000L, 0x4000);
        assertEquals(-1, p.dma(device, RID, 0x10_1234L, Access.READ), "the unmap was flushed");
        p.map(ioas, VA + 0x8000, 0x1000, 0x10_1000L);
        assertEquals(PA + 0x8234, p.dma(device, RID, 0x10_1234L, Access.READ), "the new mapping, not a stale one");
        p.context.close();
        assertEquals(0, p.platform.bindings().boundCount());
    }

    @Test
    void vtdPagingDomainMapsAndUnmaps() {
        pagingRoundTrip(NIC);
    }

    @Test
    void smmuPagingDomainMapsAndUnmaps() {
        pagingRoundTrip(ARM);
    }

    @Test
    void automaticDomainsOnBothUnitsAndTheirApertures() {
        p.region(VA, 0x10_0000L, PA);
        int ioas = p.context.ioas().alloc(0);
        p.map(ioas, VA, 0x2000, 0x20_0000L);
        int nic = p.context.devices().bind(NIC);
        int arm = p.context.devices().bind(ARM);
        p.context.devices().attach(nic, RID, ioas);
        p.context.devices().attach(arm, RID, ioas);
        assertEquals(PA + 0x1008, p.dma(NIC, RID, 0x20_1008L, Access.READ));
        assertEquals(PA + 0x1008, p.dma(ARM, RID, 0x20_1008L, Access.READ));
        // both units' reserved regions (SMMUv3 software MSI, VT-d interrupt range) and the narrower aperture
        assertEquals(java.util.List.of(new IovaRange(0, 0x7ff_ffffL), new IovaRange(0x810_0000L, 0xfedf_ffffL),
                new IovaRange(0xfef0_0000L, (1L << 48) - 1)), p.context.ioas().iovaRanges(ioas, 8, 0).ranges());
        IommuException reserved = org.junit.jupiter.api.Assertions.assertThrows(IommuException.class,
                () -> p.map(ioas, VA, 0x1000, 0xfee0_0000L));
        assertEquals(Errno.EINVAL, reserved.errno());
        p.context.devices().detach(arm, RID);
        assertEquals(java.util.List.of(new IovaRange(0, 0xfedf_ffffL), new IovaRange(0xfef0_0000L, (1L << 57) - 1)),
                p.context.ioas().iovaRanges(ioas, 8, 0).ranges(),
                "the SMMU's window and its 48-bit automatic domain left with its device: dmar0's 57 bits remain");
    }

    @Test
    void vtdNestedFirstStageTranslatesInvalidatesAndFollowsItsParent() {
        long guestRam = 0x10_0000_0000L; // GPA == HPA for the guest's tables (identity in the IOAS)
        long dataPa = 0x3_0000_0000L;
        p.region(VA, 0x10_0000L, guestRam);
        p.region(0x9000_0000L, 0x10_0000L, dataPa);
        int ioas = p.context.ioas().alloc(0);
        p.map(ioas, VA, 0x10_0000L, guestRam);
        p.map(ioas, 0x9000_0000L, 0x10_0000L, 0x1000_0000L); // GPA 0x1000_0000 -> dataPa

        // the guest's first-stage table, in guest RAM
        VtdFirstStageFormat s1 = new VtdFirstStageFormat(false, 48, true, false);
        PageTableBuilder guest = new PageTableBuilder(s1, new PageAllocator(p.memory, guestRam, 0x10_0000L, 12),
                1L << 12);
        int rwu = Permission.READ | Permission.WRITE | Permission.USER;
        guest.map(0x4000_0000L, 0x1000_0000L, 0x1000, rwu);

        int nic = p.context.devices().bind(NIC);
        int parent = p.context.hwpts().alloc(HwptAllocCommand.paging(HwptAllocFlags.NEST_PARENT, nic, ioas));
        byte[] data = new IommuHwptVtdS1(0, guest.rootAddress(), 48, 0).encode();
        int nested = p.context.hwpts().alloc(HwptAllocCommand.nested(0, nic, parent, IommuHwptVtdS1.DATA_TYPE, data));
        p.context.devices().attach(nic, RID, nested);
        assertEquals(dataPa + 0x123, p.dma(NIC, RID, 0x4000_0123L, Access.READ), "stage 1 over stage 2");

        // the guest changes its mapping: stale until it invalidates
        guest.unmap(0x4000_0000L, 0x1000);
        guest.map(0x4000_0000L, 0x1000_1000L, 0x1000, rwu);
        assertEquals(dataPa + 0x123, p.dma(NIC, RID, 0x4000_0123L, Access.READ), "cached until invalidated");
        byte[] entry = new IommuHwptVtdS1Invalidate(0x4000_0000L, 1, 0, 0).encode();
        assertEquals(1, p.context.invalidation().invalidate(
                HwptInvalidateCommand.of(nested, IommuHwptVtdS1Invalidate.DATA_TYPE, entry.length, 1, entry)));
        assertEquals(dataPa + 0x1123, p.dma(NIC, RID, 0x4000_0123L, Access.READ), "the new guest mapping");

        // a bad entry: entry_num counts the good one before it
        byte[] two = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN).put(entry)
                .put(new IommuHwptVtdS1Invalidate(0x4000_0800L, 1, 0, 0).encode()).array();
        IommuException bad = org.junit.jupiter.api.Assertions.assertThrows(IommuException.class,
                () -> p.context.invalidation().invalidate(
                        HwptInvalidateCommand.of(nested, IommuHwptVtdS1Invalidate.DATA_TYPE, 24, 2, two)));
        assertEquals(Errno.EINVAL, bad.errno());
        assertEquals(1L, bad.outValues().get("entry_num"));

        // the same guest table on a PASID of the device, through a PASID-capable nested HWPT
        int nestedPasid = p.context.hwpts().alloc(HwptAllocCommand.nested(HwptAllocFlags.PASID, nic, parent,
                IommuHwptVtdS1.DATA_TYPE, data));
        IommuException notCompat = org.junit.jupiter.api.Assertions.assertThrows(IommuException.class,
                () -> p.context.devices().attach(nic, 5, nestedPasid));
        assertEquals(Errno.EINVAL, notCompat.errno(), "the RID sits on a nested HWPT without ALLOC_PASID");
        p.context.devices().replace(nic, RID, nestedPasid);
        p.context.devices().attach(nic, 5, nestedPasid);
        assertEquals(dataPa + 0x1456, p.dma(NIC, 5, 0x4000_0456L, Access.READ), "PASID 5, nested");

        // the host unmaps the guest's data from the parent: the nested DID is flushed with it
        p.context.ioas().unmap(ioas, 0x1000_0000L, 0x10_0000L);
        assertEquals(-1, p.dma(NIC, RID, 0x4000_0123L, Access.READ), "the parent's flush reached the nested DID");
        assertEquals(-1, p.dma(NIC, 5, 0x4000_0456L, Access.READ));
    }

    @Test
    void smmuViommuBypassSteTranslatesAsItsParentAndFollowsItsUnmaps() {
        p.region(VA, 0x10_0000L, PA);
        int ioas = p.context.ioas().alloc(0);
        p.map(ioas, VA, 0x2000, 0x40_0000L);
        int arm = p.context.devices().bind(ARM);
        int parent = p.context.hwpts().alloc(HwptAllocCommand.paging(HwptAllocFlags.NEST_PARENT, arm, ioas));
        int viommu = p.context.viommus().allocViommu(0, 1, arm, parent, null);
        byte[] ste = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L | (0b100L << 1)).putLong(0)
                .array(); // V, Config = bypass: the guest translates nothing, stage 2 does
        int nested = p.context.hwpts().alloc(HwptAllocCommand.nested(0, arm, viommu, 2, ste));
        IommuException noVdevice = org.junit.jupiter.api.Assertions.assertThrows(IommuException.class,
                () -> p.context.devices().attach(arm, RID, nested));
        assertEquals(Errno.ENOENT, noVdevice.errno());
        p.context.viommus().allocVdevice(viommu, arm, 0x5);
        p.context.devices().attach(arm, RID, nested);
        assertEquals(PA + 0x1010, p.dma(ARM, RID, 0x40_1010L, Access.READ));

        // vIOMMU invalidation: raw commands, vSIDs through the vDEVICE table
        byte[] cmds = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0x10).putLong(0)                       // CMD_TLBI_NH_ALL
                .putLong(0x05L | (0x5L << 32)).putLong(0)       // CMD_CFGI_CD, vSID 5 (the vDEVICE)
                .putLong(0x05L | (0x6L << 32)).putLong(0)       // CMD_CFGI_CD, vSID 6: nobody
                .array();
        assertEquals(2, p.context.invalidation().invalidate(
                HwptInvalidateCommand.of(viommu, 1, 16, 2, java.util.Arrays.copyOf(cmds, 32))));
        IommuException unknown = org.junit.jupiter.api.Assertions.assertThrows(IommuException.class,
                () -> p.context.invalidation().invalidate(HwptInvalidateCommand.of(viommu, 1, 16, 3, cmds)));
        assertEquals(Errno.EIO, unknown.errno());
        assertEquals(2L, unknown.outValues().get("entry_num"), "the two good commands went out");
        p.context.ioas().unmap(ioas, 0x40_0000L, 0x2000);
        assertEquals(-1, p.dma(ARM, RID, 0x40_1010L, Access.READ), "the parent's flush reached the vIOMMU's VMID");
    }
}
