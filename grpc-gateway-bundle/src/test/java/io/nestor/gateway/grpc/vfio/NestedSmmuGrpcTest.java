package io.nestor.gateway.grpc.vfio;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.nestor.api.pagetable.Permission;
import io.nestor.driver.smmuv3.hw.Smmuv3Cd;
import io.nestor.driver.smmuv3.hw.Smmuv3Ste;
import io.nestor.driver.smmuv3.hw.format.VmsaGeometry;
import io.nestor.driver.smmuv3.hw.format.VmsaGranule;
import io.nestor.driver.smmuv3.hw.format.VmsaStage1Format;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.AttachIommufdPtRequest;
import io.nestor.gateway.grpc.proto.DmaResult;
import io.nestor.gateway.grpc.proto.HwptAllocRequest;
import io.nestor.gateway.grpc.proto.HwptInvalidateRequest;
import io.nestor.gateway.grpc.proto.Region;
import io.nestor.gateway.grpc.proto.VdeviceAllocRequest;
import io.nestor.gateway.grpc.proto.ViommuAllocRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full nested SMMUv3 flow over gRPC against the real core and SMMUv3 driver: a nest parent on
 * smmu0, a vIOMMU and a vDEVICE (vSID 0x40) for 0001:00:01.0, the guest's STE as
 * {@code struct iommu_hwpt_arm_smmuv3} (stage-1 translate, a linear CD table of one CD in guest
 * RAM), the guest's VMSAv8-64 stage-1 table written through Memory.Write, DMA by dev_id through
 * both stages, and a guest mapping change made visible only by a raw CMD_TLBI_NH_VA sent through
 * HwptInvalidate on the vIOMMU.
 */
class NestedSmmuGrpcTest {
    private static final long TABLES_GPA = 0x8000_0000L;
    private static final long CD_OFFSET = 0x8_0000L;
    private static final long DATA_GPA = 0x1000_0000L;
    private static final long GUEST_IOVA = 0x4000_0000L;
    private static final int ASID = 7;
    private static final int VIOMMU_TYPE_ARM_SMMUV3 = 1;
    private static final int HWPT_DATA_ARM_SMMUV3 = 2;
    private static final int INVALIDATE_DATA_VIOMMU_ARM_SMMUV3 = 1;
    private static final int CMD_TLBI_NH_VA = 0x12;

    @TempDir
    Path regionDir;

    private CoreGateway core;

    @BeforeEach
    void start() throws Exception {
        core = new CoreGateway(regionDir);
    }

    @AfterEach
    void stop() throws Exception {
        core.close();
    }

    @Test
    void guestSteAndCdOverAViommuTranslateAndFollowATlbiThroughTheViommu() {
        GuestVmm vmm = new GuestVmm(core, "qemu-arm");
        Region tables = vmm.region(0x10_0000L);
        Region data = vmm.region(0x10_0000L);
        int ioas = vmm.ioas();
        vmm.map(ioas, tables, TABLES_GPA);
        vmm.map(ioas, data, DATA_GPA);
        int dev = vmm.bind(CoreGateway.ARM_DEVICE);
        int parent = vmm.iommufd.hwptAlloc(HwptAllocRequest.newBuilder().setIommufd(vmm.fd)
                .setFlags(GuestVmm.NEST_PARENT).setDevId(dev).setPtId(ioas).build()).getOutHwptId();
        int viommu = vmm.iommufd.viommuAlloc(ViommuAllocRequest.newBuilder().setIommufd(vmm.fd)
                .setType(VIOMMU_TYPE_ARM_SMMUV3).setDevId(dev).setHwptId(parent).build()).getOutViommuId();
        int vdevice = vmm.iommufd.vdeviceAlloc(VdeviceAllocRequest.newBuilder().setIommufd(vmm.fd)
                .setViommuId(viommu).setDevId(dev).setVirtId(0x40).build()).getOutVdeviceId();
        assertEquals(viommu + 1, vdevice, "object ids count up in the context");
        fails(Status.Code.ALREADY_EXISTS, "EEXIST", () -> vmm.iommufd.vdeviceAlloc(VdeviceAllocRequest.newBuilder()
                .setIommufd(vmm.fd).setViommuId(viommu).setDevId(dev).setVirtId(0x41).build()));

        // the guest's stage 1 (48-bit, 4 KiB granule) and its one CD, in guest RAM
        VmsaStage1Format s1 = new VmsaStage1Format(VmsaGeometry.stage1(VmsaGranule.GRANULE_4K, 16), 48, false, false);
        int rwu = Permission.READ | Permission.WRITE | Permission.USER;
        long leaf = vmm.writeWalk(s1, tables, TABLES_GPA, GUEST_IOVA, DATA_GPA, rwu);
        long cd0 = Smmuv3Cd.T0SZ.insert(0, 16) | Smmuv3Cd.TG0.insert(0, 0) | Smmuv3Cd.V.insert(0, true)
                | Smmuv3Cd.IPS.insert(0, 5) | Smmuv3Cd.AA64.insert(0, true) | Smmuv3Cd.R.insert(0, true)
                | Smmuv3Cd.A.insert(0, true) | Smmuv3Cd.ASID.insert(0, ASID);
        vmm.write64(tables.getUserVa() + CD_OFFSET, cd0);
        vmm.write64(tables.getUserVa() + CD_OFFSET + 8, Smmuv3Cd.TTB0.insert(0, TABLES_GPA >>> 4));

        // the guest's STE: valid, stage-1 translate, linear CD table at its GPA
        long ste0 = Smmuv3Ste.V.insert(0, true) | Smmuv3Ste.CONFIG.insert(0, Smmuv3Ste.CONFIG_S1_TRANS)
                | Smmuv3Ste.S1FMT.insert(0, 0) | Smmuv3Ste.S1_CONTEXT_PTR.insert(0, (TABLES_GPA + CD_OFFSET) >>> 6);
        int nested = vmm.iommufd.hwptAlloc(HwptAllocRequest.newBuilder().setIommufd(vmm.fd).setDevId(dev)
                .setPtId(viommu).setDataType(HWPT_DATA_ARM_SMMUV3)
                .setData(ByteString.copyFrom(GuestVmm.le(ste0, 0))).build()).getOutHwptId();
        assertEquals(nested, vmm.devices.attachIommufdPt(AttachIommufdPtRequest.newBuilder()
                .setDevice(CoreGateway.ARM_DEVICE).setPtId(nested).build()).getPtId());

        DmaResult r = vmm.translate(dev, -1, GUEST_IOVA + 0x321);
        assertEquals(DmaResult.OutcomeCase.TRANSLATION, r.getOutcomeCase(), r.toString());
        assertEquals(data.getHostPhysicalBase() + 0x321, r.getTranslation().getOutputAddress());

        vmm.write64(leaf, s1.encodeLeaf(DATA_GPA + 0x2000, 0, rwu));
        assertEquals(data.getHostPhysicalBase() + 0x321,
                vmm.translate(dev, -1, GUEST_IOVA + 0x321).getTranslation().getOutputAddress(), "stale");
        byte[] tlbi = GuestVmm.le(CMD_TLBI_NH_VA | ((long) ASID << 48), GUEST_IOVA);
        assertEquals(1, vmm.iommufd.hwptInvalidate(HwptInvalidateRequest.newBuilder().setIommufd(vmm.fd)
                .setHwptId(viommu).setDataType(INVALIDATE_DATA_VIOMMU_ARM_SMMUV3).setEntryLen(16).setEntryNum(1)
                .setData(ByteString.copyFrom(tlbi)).build()).getEntryNum());
        assertEquals(data.getHostPhysicalBase() + 0x2321,
                vmm.translate(dev, -1, GUEST_IOVA + 0x321).getTranslation().getOutputAddress(), "fresh");

        // the vIOMMU holds the vDEVICE, the vDEVICE the device: DESTROY in the wrong order is EBUSY
        fails(Status.Code.FAILED_PRECONDITION, "EBUSY", () -> vmm.iommufd.destroy(
                io.nestor.gateway.grpc.proto.DestroyRequest.newBuilder().setIommufd(vmm.fd).setId(viommu).build()));
    }
}
