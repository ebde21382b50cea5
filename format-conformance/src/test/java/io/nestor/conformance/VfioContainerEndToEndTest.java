package io.nestor.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Access;
import io.nestor.core.ioasid.IoasidSet;
import io.nestor.core.iommufd.ContextOptions;
import io.nestor.core.iommufd.DeviceBindings;
import io.nestor.core.iommufd.IommufdPlatform;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.session.RegionTable;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import io.nestor.core.vfio.VfioContainer;
import io.nestor.core.vfio.VfioContainerOptions;
import io.nestor.core.vfio.VfioDmaFlags;
import io.nestor.core.vfio.VfioExtension;
import io.nestor.core.vfio.VfioGroupTable;
import io.nestor.core.vfio.VfioIommuInfo;
import io.nestor.core.vfio.VfioNestingOps;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.driver.vtd.VtdDriver;
import io.nestor.driver.vtd.host.IommuGpasidBindData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * A VFIO type1 container on dmar0 driven end to end with the real VT-d driver: the container's
 * nest-parent second stage built by the core in the driver's format and attached by the driver's
 * host half; DMA translated by the engine through the context and PASID entries the hardware half
 * decodes; then a guest first-stage table, written in guest RAM as a guest kernel writes it, bound to
 * a host PASID with BIND_PGTBL, so DMA with that PASID walks guest tables nested over the container's
 * mappings.
 */
class VfioContainerEndToEndTest {
    private static final long VA = 0x7f00_0000_0000L;
    private static final long PA = 0x1_0000_0000L;
    private static final long RAM = 16L << 20;
    private static final int RW = VfioDmaFlags.MAP_READ | VfioDmaFlags.MAP_WRITE;
    /** VT-d first-stage entry bits (VT-d 9.7): present, read/write, user. */
    private static final long P = 1, W = 1 << 1, U = 1 << 2;

    private final SparsePhysicalMemory memory = new SparsePhysicalMemory(48);
    private final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    private final RegionTable regions = new RegionTable(4096);
    private final VfioGroupTable groups = new VfioGroupTable(registry);
    private final IommuUnit dmar0;
    private final DeviceInfo device;

    VfioContainerEndToEndTest() {
        registry.addDriver(new DriverBinding(new VtdDriver(), IommuDriver.KIND_INTEL_VTD, "io.nestor.driver.vtd", 7,
                "1.0.0", 0, 1));
        registry.addDriver(new DriverBinding(new Smmuv3Driver(), IommuDriver.KIND_ARM_SMMUV3,
                "io.nestor.driver.smmuv3", 8, "1.0.0", 0, 2));
        regions.createRegion(VA, RAM, PA, true);
        dmar0 = registry.runtimeUnit("dmar0").orElseThrow();
        device = groups.device(0);
    }

    private long translate(int pasid, long iova, int access) {
        return translate(device, pasid, iova, access);
    }

    private long translate(DeviceInfo dev, int pasid, long iova, int access) {
        TranslationResult r = new TranslationResult();
        IommuUnit unit = registry.runtimeUnit(dev.unit()).orElseThrow();
        boolean ok = registry.engine().translate(unit.index(), dev.sourceId(), pasid, iova, access, r);
        return ok ? r.outputAddress() : -1;
    }

    /** Writes the guest's descriptor at guest physical {@code gpa} (guest RAM lies at PA). */
    private void guestWrite(long gpa, long value) {
        memory.write64(PA + gpa, value);
    }

    /**
     * {@code struct iommu_cache_invalidate_info} (5.10): argsz 32, version 1, cache IOTLB, granularity
     * PASID, {@code pasid_info} with the PASID flag.
     */
    private static byte[] pasidInvalidation(int pasid) {
        return ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 32).putInt(4, 1)
                .put(8, (byte) 1).put(9, (byte) 1).putInt(16, 1).putLong(24, pasid).array();
    }

    @Test
    void mapDmaThenBindAGuestPageTableGivesNestedTranslation() {
        IoasidSet vm = registry.ioasids().openSet("vm-1", 8);
        long structurePages = registry.structurePages().livePages();
        VfioContainer c = new VfioContainer(IommufdPlatform.of(registry, new DeviceBindings()), groups, new Object(),
                regions, ContextOptions.defaults(), VfioContainerOptions.defaults(), vm);
        assertEquals("0000:00:02.0", device.name());
        assertEquals(1, c.checkExtension(VfioExtension.TYPE1_NESTING_IOMMU));
        c.setContainer(0);
        c.setIommu(VfioExtension.TYPE1_NESTING_IOMMU);

        // GET_INFO's IOVA ranges leave out the interrupt range VT-d reserves, as type1 reports on x86
        ByteBuffer info = ByteBuffer.wrap(c.getInfo(4096).buffer()).order(ByteOrder.LITTLE_ENDIAN);
        int cap = info.getInt(16);
        while (info.getShort(cap) != VfioIommuInfo.CAP_IOVA_RANGE) {
            cap = info.getInt(cap + 4);
        }
        assertEquals(2, info.getInt(cap + 8), "nr_iovas");
        assertEquals(0, info.getLong(cap + 16));
        assertEquals(0xfedf_ffffL, info.getLong(cap + 24));
        assertEquals(0xfef0_0000L, info.getLong(cap + 32));
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> c.mapDma(RW, VA, 0xfee0_0000L, 0x1000)).errno(), "MAP_DMA into the interrupt range");

        // guest RAM: GPA [0, 16 MiB) is the region, mapped 1:1 into the container's second stage
        c.mapDma(RW, VA, 0, RAM);
        assertEquals(PA + 0x12_3456, translate(DeviceInfo.NO_PASID, 0x12_3456, Access.READ));
        assertEquals(PA + RAM - 8, translate(DeviceInfo.NO_PASID, RAM - 8, Access.WRITE));
        assertEquals(-1, translate(DeviceInfo.NO_PASID, RAM, Access.READ), "beyond the mapping");

        // the guest's first-stage table for gVA 0x4000_0000 -> GPA 0x80_0000, 4 levels at GPA 0x1000..0x4000
        long gva = 0x4000_0000L;
        guestWrite(0x1000 + 8 * ((gva >>> 39) & 511), 0x2000 | P | W | U);
        guestWrite(0x2000 + 8 * ((gva >>> 30) & 511), 0x3000 | P | W | U);
        guestWrite(0x3000 + 8 * ((gva >>> 21) & 511), 0x4000 | P | W | U);
        guestWrite(0x4000 + 8 * ((gva >>> 12) & 511), 0x80_0000 | P | W | U);

        int pasid = c.pasidRequest(VfioNestingOps.PASID_ALLOC, 1, 1000);
        byte[] bind = new IommuGpasidBindData(IommuGpasidBindData.SIZE, IommuGpasidBindData.VERSION_1,
                IommuGpasidBindData.FORMAT_INTEL_VTD, 48, IommuGpasidBindData.GPASID_VAL, 0x1000, pasid, 42, 0, 0, 0)
                .encode();
        assertEquals(-1, translate(pasid, gva, Access.READ), "nothing bound to the PASID yet");
        c.nestingOp(VfioNestingOps.BIND_PGTBL, bind, null);
        assertEquals(PA + 0x80_0123, translate(pasid, gva + 0x123, Access.READ), "gVA -> GPA -> host PA");
        assertEquals(PA + 0x80_0ff8, translate(pasid, gva + 0xff8, Access.WRITE));
        assertEquals(-1, translate(pasid, gva + 0x1000, Access.READ), "the guest mapped one page");
        assertEquals(PA + 0x12_3456, translate(DeviceInfo.NO_PASID, 0x12_3456, Access.READ), "RID unchanged");

        // the guest moves its page: the IOTLB keeps the old translation until the guest's invalidation
        // (IOTLB, PASID granularity) comes through CACHE_INVLD
        guestWrite(0x4000 + 8 * ((gva >>> 12) & 511), 0x90_0000 | P | W | U);
        assertEquals(PA + 0x80_0010, translate(pasid, gva + 0x10, Access.READ), "stale until invalidated");
        c.nestingOp(VfioNestingOps.CACHE_INVLD, pasidInvalidation(pasid), null);
        assertEquals(PA + 0x90_0010, translate(pasid, gva + 0x10, Access.READ));

        c.nestingOp(VfioNestingOps.UNBIND_PGTBL, bind, null);
        assertEquals(-1, translate(pasid, gva, Access.READ), "unbound");
        c.nestingOp(VfioNestingOps.BIND_PGTBL, bind, null);
        assertEquals(PA + 0x90_0010, translate(pasid, gva + 0x10, Access.READ));

        // unmapping the GPA the guest's page lives at takes the nested translation with it
        assertEquals(RAM, c.unmapDma(0, 0, RAM, null).size());
        assertEquals(-1, translate(pasid, gva, Access.READ));
        assertEquals(-1, translate(DeviceInfo.NO_PASID, 0x12_3456, Access.READ));

        c.close();
        assertFalse(c.iommuSet());
        assertEquals(0, regions.totalPins());
        assertTrue(vm.pasids().contains(pasid), "the PASID stays the VM's until it frees it");
        assertEquals(1, vm.count(), "no binding still holds it");
        vm.close();
        assertFalse(registry.ioasids().isAllocated(pasid));
        assertTrue(registry.structurePages().livePages() >= structurePages,
                "the unit's own structures (root, context and PASID tables, queues) stay");
    }

    /**
     * The SMMUv3 model of the nested-stage series: the guest's whole CD table is installed under the
     * container's nest parent with SET_PASID_TABLE; a CD in it points at the guest's VMSAv8-64 stage-1
     * tables, so DMA with that SubstreamID walks them over the container's stage 2.
     */
    @Test
    void setPasidTableOnSmmuGivesNestedTranslationBySubstream() {
        DeviceInfo smmuDevice = groups.device(4);
        assertEquals("smmu0", smmuDevice.unit());
        VfioContainer c = new VfioContainer(IommufdPlatform.of(registry, new DeviceBindings()), groups, new Object(),
                regions, ContextOptions.defaults(), VfioContainerOptions.defaults(), null);
        c.setContainer(4);
        c.setIommu(VfioExtension.TYPE1_NESTING_IOMMU);
        c.mapDma(RW, VA, 0, RAM);
        assertEquals(PA + 0x12_3000, translate(smmuDevice, DeviceInfo.NO_PASID, 0x12_3000, Access.READ));

        // guest stage 1 (VMSAv8-64, 4 KiB granule, 48-bit VA): gVA 0x4000_0000 -> GPA 0xA0_0000
        long gva = 0x4000_0000L;
        long table = 0b11;
        long page = 0b11 | 1L << 10 | 1L << 6; // page, AF, AP[1] = EL0 read / write
        guestWrite(0x1000 + 8 * ((gva >>> 39) & 511), 0x2000 | table);
        guestWrite(0x2000 + 8 * ((gva >>> 30) & 511), 0x3000 | table);
        guestWrite(0x3000 + 8 * ((gva >>> 21) & 511), 0x4000 | table);
        guestWrite(0x4000 + 8 * ((gva >>> 12) & 511), 0xA0_0000 | page);
        // a linear CD table at GPA 0x8000; SubstreamID 1's CD: T0SZ 16, TG0 4K, V, IPS 48-bit, AA64, ASID 5
        long cd0 = 16 | 1L << 31 | 5L << 32 | 1L << 41 | 5L << 48;
        guestWrite(0x8000 + 64, cd0);
        guestWrite(0x8000 + 64 + 8, 0x1000);
        // iommu_pasid_table_config: TRANSLATE, SMMUv3, 4 PASID bits, linear table, S1DSS bypass
        byte[] config = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 40)
                .putInt(4, 1).putInt(8, 1).putLong(16, 0x8000).put(24, (byte) 4).put(25, (byte) 1).putInt(32, 1)
                .put(36, (byte) 0).put(37, (byte) 1).array();
        c.nestingOp(VfioNestingOps.SET_PASID_TABLE, config, null);
        assertEquals(PA + 0xA0_0042, translate(smmuDevice, 1, gva + 0x42, Access.READ), "gVA -> GPA -> host PA");
        assertEquals(PA + 0x12_3000, translate(smmuDevice, DeviceInfo.NO_PASID, 0x12_3000, Access.READ),
                "S1DSS bypass: requests without a SubstreamID use stage 2 only");
        c.nestingOp(VfioNestingOps.UNSET_PASID_TABLE, new byte[0], null);
        assertEquals(-1, translate(smmuDevice, 1, gva, Access.READ), "back to the parent's stage 2 alone");
        c.close();
        assertEquals(0, regions.totalPins());
    }
}
