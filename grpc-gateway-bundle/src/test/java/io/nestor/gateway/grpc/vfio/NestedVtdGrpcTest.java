package io.nestor.gateway.grpc.vfio;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.nestor.api.pagetable.Permission;
import io.nestor.driver.vtd.hw.format.VtdFirstStageFormat;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.AttachIommufdPtRequest;
import io.nestor.gateway.grpc.proto.DestroyRequest;
import io.nestor.gateway.grpc.proto.DetachIommufdPtRequest;
import io.nestor.gateway.grpc.proto.DmaResult;
import io.nestor.gateway.grpc.proto.GetHwInfoRequest;
import io.nestor.gateway.grpc.proto.GetHwInfoResponse;
import io.nestor.gateway.grpc.proto.HwptAllocRequest;
import io.nestor.gateway.grpc.proto.HwptInvalidateRequest;
import io.nestor.gateway.grpc.proto.Region;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full nested VT-d flow over gRPC against the real core and VT-d driver: guest RAM mapped into an
 * IOAS, a nest-parent HWPT on dmar0, the accelerator 0000:00:02.0 bound, the guest's first-stage
 * tables written through Memory.Write, a nested HWPT from {@code struct iommu_hwpt_vtd_s1}, a PASID
 * attached to it, and DMA by dev_id translated through both stages; a guest PTE change stays stale
 * until HwptInvalidate with {@code struct iommu_hwpt_vtd_s1_invalidate} entries.
 */
class NestedVtdGrpcTest {
    private static final long TABLES_GPA = 0x8000_0000L;
    private static final long DATA_GPA = 0x1000_0000L;
    private static final long GUEST_IOVA = 0x4000_0000L;
    private static final int PASID = 5;
    private static final int VTD_S1 = 1; // IOMMU_HWPT_DATA_VTD_S1
    private static final int VTD_S1_INVALIDATE = 0; // IOMMU_HWPT_INVALIDATE_DATA_VTD_S1

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

    /** {@code struct iommu_hwpt_vtd_s1}: flags, pgtbl_addr, addr_width, __reserved. */
    private static byte[] vtdS1(long pgtblAddr, int addrWidth) {
        return GuestVmm.le(0, pgtblAddr, addrWidth);
    }

    /** {@code struct iommu_hwpt_vtd_s1_invalidate}: addr, npages, flags, __reserved. */
    private static byte[] vtdS1Invalidate(long addr, long npages) {
        return GuestVmm.le(addr, npages, 0);
    }

    @Test
    void nestedFirstStageOverAPasidTranslatesAndFollowsInvalidation() {
        GuestVmm vmm = new GuestVmm(core, "qemu-vtd");
        Region tables = vmm.region(0x10_0000L);
        Region data = vmm.region(0x10_0000L);
        int ioas = vmm.ioas();
        vmm.map(ioas, tables, TABLES_GPA);
        vmm.map(ioas, data, DATA_GPA);
        int dev = vmm.bind(CoreGateway.PRI_DEVICE);

        GetHwInfoResponse hw = vmm.iommufd.getHwInfo(GetHwInfoRequest.newBuilder().setIommufd(vmm.fd).setDevId(dev)
                .setDataLen(8).build());
        assertEquals(1, hw.getOutDataType(), "IOMMU_HW_INFO_TYPE_INTEL_VTD");
        assertEquals(24, hw.getDataLen(), "struct iommu_hw_info_vtd is 24 bytes; data_len says so");
        assertEquals(8, hw.getData().size(), "the data is cut to the caller's data_len");
        assertTrue(hw.getOutMaxPasidLog2() > 0, "the accelerator has PASID");

        int parent = vmm.iommufd.hwptAlloc(HwptAllocRequest.newBuilder().setIommufd(vmm.fd)
                .setFlags(GuestVmm.NEST_PARENT).setDevId(dev).setPtId(ioas).build()).getOutHwptId();

        VtdFirstStageFormat s1 = new VtdFirstStageFormat(false, 48, true, false);
        int rwu = Permission.READ | Permission.WRITE | Permission.USER;
        long leaf = vmm.writeWalk(s1, tables, TABLES_GPA, GUEST_IOVA, DATA_GPA, rwu);

        int nested = vmm.iommufd.hwptAlloc(HwptAllocRequest.newBuilder().setIommufd(vmm.fd)
                .setFlags(GuestVmm.ALLOC_PASID).setDevId(dev).setPtId(parent).setDataType(VTD_S1)
                .setData(ByteString.copyFrom(vtdS1(TABLES_GPA, 48))).build()).getOutHwptId();
        assertEquals(nested, vmm.devices.pasidAttachIommufdPt(AttachIommufdPtRequest.newBuilder()
                .setDevice(CoreGateway.PRI_DEVICE).setPtId(nested).setPasid(PASID).build()).getPtId());

        DmaResult r = vmm.translate(dev, PASID, GUEST_IOVA + 0x123);
        assertEquals(DmaResult.OutcomeCase.TRANSLATION, r.getOutcomeCase(), r.toString());
        assertEquals(data.getHostPhysicalBase() + 0x123, r.getTranslation().getOutputAddress(),
                "guest stage 1 over the host's stage 2");

        // the guest moves its page: the IOTLB keeps the old translation until it invalidates
        vmm.write64(leaf, s1.encodeLeaf(DATA_GPA + 0x1000, 0, rwu));
        assertEquals(data.getHostPhysicalBase() + 0x123,
                vmm.translate(dev, PASID, GUEST_IOVA + 0x123).getTranslation().getOutputAddress(), "stale");
        byte[] entry = vtdS1Invalidate(GUEST_IOVA, 1);
        assertEquals(1, vmm.iommufd.hwptInvalidate(HwptInvalidateRequest.newBuilder().setIommufd(vmm.fd)
                .setHwptId(nested).setDataType(VTD_S1_INVALIDATE).setEntryLen(entry.length).setEntryNum(1)
                .setData(ByteString.copyFrom(entry)).build()).getEntryNum());
        assertEquals(data.getHostPhysicalBase() + 0x1123,
                vmm.translate(dev, PASID, GUEST_IOVA + 0x123).getTranslation().getOutputAddress(), "fresh");

        // a bad second entry (an address not page aligned): entry_num counts the good first one
        byte[] two = Arrays.copyOf(entry, 48);
        System.arraycopy(vtdS1Invalidate(GUEST_IOVA + 0x800, 1), 0, two, 24, 24);
        ErrorInfo bad = fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> vmm.iommufd.hwptInvalidate(
                HwptInvalidateRequest.newBuilder().setIommufd(vmm.fd).setHwptId(nested)
                        .setDataType(VTD_S1_INVALIDATE).setEntryLen(24).setEntryNum(2)
                        .setData(ByteString.copyFrom(two)).build()));
        assertEquals("1", bad.getMetadataOrThrow("entry_num"));

        // a nested HWPT is not invalidated as a paging one: EINVAL with entry_num 0
        ErrorInfo notNested = fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> vmm.iommufd.hwptInvalidate(
                HwptInvalidateRequest.newBuilder().setIommufd(vmm.fd).setHwptId(parent)
                        .setDataType(VTD_S1_INVALIDATE).setEntryLen(24).setEntryNum(1)
                        .setData(ByteString.copyFrom(entry)).build()));
        assertEquals("0", notNested.getMetadataOrThrow("entry_num"));

        // PASID detach: the PASID's DMA faults; detaching it again is a no-op, as in the kernel
        DetachIommufdPtRequest detach = DetachIommufdPtRequest.newBuilder().setDevice(CoreGateway.PRI_DEVICE)
                .setPasid(PASID).build();
        vmm.devices.pasidDetachIommufdPt(detach);
        assertEquals(DmaResult.OutcomeCase.FAULT, vmm.translate(dev, PASID, GUEST_IOVA + 0x123).getOutcomeCase());
        vmm.devices.pasidDetachIommufdPt(detach);
        fails(Status.Code.FAILED_PRECONDITION, "EBUSY", () -> vmm.iommufd.destroy(DestroyRequest.newBuilder()
                .setIommufd(vmm.fd).setId(parent).build())); // the nested HWPT holds its parent
        vmm.iommufd.destroy(DestroyRequest.newBuilder().setIommufd(vmm.fd).setId(nested).build());
        vmm.iommufd.destroy(DestroyRequest.newBuilder().setIommufd(vmm.fd).setId(parent).build());
    }
}
