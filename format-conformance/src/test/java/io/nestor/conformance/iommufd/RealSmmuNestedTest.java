package io.nestor.conformance.iommufd;

import static io.nestor.conformance.iommufd.RealDriverPlatform.ARM;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.core.iommufd.HwptAllocCommand;
import io.nestor.core.iommufd.HwptAllocFlags;
import io.nestor.core.iommufd.HwptInvalidateCommand;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.driver.smmuv3.hw.Smmuv3Cd;
import io.nestor.driver.smmuv3.hw.Smmuv3Ste;
import io.nestor.driver.smmuv3.hw.format.VmsaGeometry;
import io.nestor.driver.smmuv3.hw.format.VmsaGranule;
import io.nestor.driver.smmuv3.hw.format.VmsaStage1Format;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * SMMUv3 nesting end to end with the real driver: a guest STE (stage-1 translate, a linear CD table
 * of one CD in guest RAM) given as {@code iommu_hwpt_arm_smmuv3} to a vIOMMU over a nest parent;
 * the guest's VMSAv8-64 stage-1 table in guest RAM; DMA translated through both stages; a guest
 * mapping change made visible by a CMD_TLBI_NH_VA through the vIOMMU.
 */
class RealSmmuNestedTest {
    private static final int RID = DeviceInfo.NO_PASID;
    private static final long GUEST_RAM = 0x10_0000_0000L; // GPA == HPA for the guest's structures
    private static final long DATA_PA = 0x3_0000_0000L;
    private static final int ASID = 7;

    private final RealDriverPlatform p = new RealDriverPlatform();

    @Test
    void stage1OverStage2ThroughAViommu() {
        p.region(0x7000_0000L, 0x10_0000L, GUEST_RAM);
        p.region(0x9000_0000L, 0x10_0000L, DATA_PA);
        int ioas = p.context.ioas().alloc(0);
        p.map(ioas, 0x7000_0000L, 0x10_0000L, GUEST_RAM);
        p.map(ioas, 0x9000_0000L, 0x10_0000L, 0x1000_0000L);

        VmsaStage1Format s1 = new VmsaStage1Format(VmsaGeometry.stage1(VmsaGranule.GRANULE_4K, 16), 48, false, false);
        PageTableBuilder guest = new PageTableBuilder(s1,
                new PageAllocator(p.memory, GUEST_RAM + 0x1_0000L, 0x8_0000L, 12), 1L << 12);
        int rwu = Permission.READ | Permission.WRITE | Permission.USER;
        guest.map(0x4000_0000L, 0x1000_0000L, 0x1000, rwu);
        long cd = GUEST_RAM;
        long cd0 = Smmuv3Cd.T0SZ.insert(0, 16) | Smmuv3Cd.TG0.insert(0, 0) | Smmuv3Cd.V.insert(0, true)
                | Smmuv3Cd.IPS.insert(0, 5) | Smmuv3Cd.AA64.insert(0, true) | Smmuv3Cd.R.insert(0, true)
                | Smmuv3Cd.A.insert(0, true) | Smmuv3Cd.ASID.insert(0, ASID);
        p.memory.write64(cd, cd0);
        p.memory.write64(cd + 8, Smmuv3Cd.TTB0.insert(0, guest.rootAddress() >>> 4));

        long ste0 = Smmuv3Ste.V.insert(0, true) | Smmuv3Ste.CONFIG.insert(0, Smmuv3Ste.CONFIG_S1_TRANS)
                | Smmuv3Ste.S1FMT.insert(0, Smmuv3Ste.S1FMT_LINEAR) | Smmuv3Ste.S1_CONTEXT_PTR.insert(0, cd >>> 6);
        byte[] vste = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(ste0).putLong(0).array();

        int arm = p.context.devices().bind(ARM);
        int parent = p.context.hwpts().alloc(HwptAllocCommand.paging(HwptAllocFlags.NEST_PARENT, arm, ioas));
        int viommu = p.context.viommus().allocViommu(0, 1, arm, parent, null);
        p.context.viommus().allocVdevice(viommu, arm, 0x40);
        int nested = p.context.hwpts().alloc(HwptAllocCommand.nested(0, arm, viommu, 2, vste));
        p.context.devices().attach(arm, RID, nested);
        assertEquals(DATA_PA + 0x321, p.dma(ARM, RID, 0x4000_0321L, Access.READ), "stage 1 over stage 2");

        guest.unmap(0x4000_0000L, 0x1000);
        guest.map(0x4000_0000L, 0x1000_2000L, 0x1000, rwu);
        assertEquals(DATA_PA + 0x321, p.dma(ARM, RID, 0x4000_0321L, Access.READ), "cached until invalidated");
        long tlbiNhVa = 0x12L | ((long) ASID << 48); // CMD_TLBI_NH_VA, ASID; the VMID is the vIOMMU's
        byte[] cmd = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(tlbiNhVa).putLong(0x4000_0000L)
                .array();
        assertEquals(1, p.context.invalidation().invalidate(HwptInvalidateCommand.of(viommu, 1, 16, 1, cmd)));
        assertEquals(DATA_PA + 0x2321, p.dma(ARM, RID, 0x4000_0321L, Access.READ), "the new guest mapping");

        p.context.ioas().unmap(ioas, 0x1000_0000L, 0x10_0000L);
        assertEquals(-1, p.dma(ARM, RID, 0x4000_0321L, Access.READ), "the parent's unmap reached the vIOMMU VMID");
        p.context.close();
        assertEquals(0, p.platform.bindings().boundCount());
    }
}
