package io.nestor.gateway.grpc.vfio;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.nestor.api.session.SessionQuotas;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.AttachIommufdPtRequest;
import io.nestor.gateway.grpc.proto.BindIommufdRequest;
import io.nestor.gateway.grpc.proto.CloseSessionRequest;
import io.nestor.gateway.grpc.proto.DetachIommufdPtRequest;
import io.nestor.gateway.grpc.proto.DmaResult;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.DmaWriteRequest;
import io.nestor.gateway.grpc.proto.HwptAllocRequest;
import io.nestor.gateway.grpc.proto.HwptGetDirtyBitmapRequest;
import io.nestor.gateway.grpc.proto.HwptSetDirtyTrackingRequest;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.ListVfioDevicesRequest;
import io.nestor.gateway.grpc.proto.ReadConfigRequest;
import io.nestor.gateway.grpc.proto.Region;
import io.nestor.gateway.grpc.proto.SessionsGrpc;
import io.nestor.gateway.grpc.proto.UnbindDeviceRequest;
import io.nestor.gateway.grpc.proto.VfioDeviceEntry;
import io.nestor.gateway.grpc.proto.WriteConfigRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nestor.v1.VfioDevice and the device side of nestor.v1.Iommufd against the real core and drivers:
 * binding rules and their errno, one session never reaching another's devices or objects
 * (NOT_FOUND, as if absent), the object quota (ENOSPC), the platform-wide config spaces, dirty
 * tracking, and a session's close or lease expiry unbinding its devices and giving back every
 * structure page.
 */
class VfioDeviceGrpcTest {
    private static final String NIC = CoreGateway.PRI_DEVICE;
    /** PCI_EXT_CAP_ID_PASID. */
    private static final int PASID_CAP_ID = 0x1b;

    @TempDir
    Path regionDir;

    private CoreGateway core;

    @AfterEach
    void stop() throws Exception {
        core.close();
    }

    private static BindIommufdRequest bind(String device, int fd) {
        return BindIommufdRequest.newBuilder().setDevice(device).setIommufd(fd).build();
    }

    private static VfioDeviceEntry entry(GuestVmm vmm, String device) {
        return vmm.devices.listDevices(ListVfioDevicesRequest.getDefaultInstance()).getDevicesList().stream()
                .filter(d -> d.getName().equals(device)).findFirst().orElseThrow();
    }

    @Test
    void aDeviceIsBoundOnceAndAnotherSessionCannotSeeIt() throws Exception {
        core = new CoreGateway(regionDir);
        GuestVmm a = new GuestVmm(core, "a");
        GuestVmm b = new GuestVmm(core, "b");
        List<VfioDeviceEntry> all = a.devices.listDevices(ListVfioDevicesRequest.getDefaultInstance())
                .getDevicesList();
        for (int i = 0; i < all.size(); i++) {
            assertEquals(i, all.get(i).getGroup(), "the VFIO group table numbers the topology's devices");
            assertFalse(all.get(i).getBound());
        }

        int dev = a.bind(NIC);
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> a.devices.bindIommufd(bind(NIC, a.fd)));
        int otherFd = a.iommufd.open(IommufdOpenRequest.getDefaultInstance()).getIommufd();
        fails(Status.Code.FAILED_PRECONDITION, "EBUSY", () -> a.devices.bindIommufd(bind(NIC, otherFd)));
        fails(Status.Code.FAILED_PRECONDITION, "EBUSY", () -> b.devices.bindIommufd(bind(NIC, b.fd))); // DMA-owner claim
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> b.devices.bindIommufd(bind("0000:7f:00.0", b.fd)));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> b.devices.bindIommufd(bind(CoreGateway.VTD_DEVICE,
                b.fd).toBuilder().setFlags(1).build()));

        // with two contexts open, a dev_id must say which one it belongs to
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> a.dma.translate(io.nestor.gateway.grpc.proto
                .TranslateRequest.newBuilder().addRequests(io.nestor.gateway.grpc.proto.DmaRequest.newBuilder()
                        .setSource(DmaSource.newBuilder().setDevId(dev)).setPerm(1)).build()));
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> a.translate(dev + 1, -1, 0x1000)); // no such DEVICE

        VfioDeviceEntry mine = entry(a, NIC);
        assertTrue(mine.getBound() && mine.getBoundByCaller());
        assertEquals("dmar0", mine.getUnit());
        VfioDeviceEntry theirs = entry(b, NIC);
        assertTrue(theirs.getBound());
        assertFalse(theirs.getBoundByCaller());

        // B reaches nothing of A's device
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> b.devices.readConfig(ReadConfigRequest.newBuilder()
                .setDevice(NIC).setCount(4).build()));
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> b.devices.unbind(UnbindDeviceRequest.newBuilder()
                .setDevice(NIC).build()));
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> b.dma.translate(io.nestor.gateway.grpc.proto.TranslateRequest
                .newBuilder().addRequests(CoreGateway.dmaRequest(NIC, 0x1000, 1)).build()));
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> b.translate(dev, -1, 0x1000));

        // A's HWPT is not an object of B's context, even under the same id
        Region region = a.region(0x10_0000L);
        int ioas = a.ioas();
        a.map(ioas, region, 0x10_0000L);
        int hwpt = a.iommufd.hwptAlloc(HwptAllocRequest.newBuilder().setIommufd(a.fd).setDevId(dev).setPtId(ioas)
                .build()).getOutHwptId();
        b.bind(CoreGateway.VTD_DEVICE);
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> b.devices.attachIommufdPt(AttachIommufdPtRequest.newBuilder()
                .setDevice(CoreGateway.VTD_DEVICE).setPtId(hwpt).build()));

        // A attaches, DMA translates; after unbind the device is nobody's and A's DMA is NOT_FOUND
        assertEquals(hwpt, a.devices.attachIommufdPt(AttachIommufdPtRequest.newBuilder().setDevice(NIC)
                .setPtId(hwpt).build()).getPtId());
        DmaResult r = a.translate(dev, -1, 0x10_0010L);
        assertEquals(region.getHostPhysicalBase() + 0x10, r.getTranslation().getOutputAddress(), r.toString());
        a.devices.unbind(UnbindDeviceRequest.newBuilder().setDevice(NIC).build());
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> a.translate(dev, -1, 0x10_0010L));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> a.devices.detachIommufdPt(DetachIommufdPtRequest
                .newBuilder().setDevice(NIC).build()));
        assertFalse(entry(b, NIC).getBound());
        b.devices.bindIommufd(bind(NIC, b.fd));
        assertTrue(entry(b, NIC).getBoundByCaller(), "released by A, bound by B");
    }

    @Test
    void theObjectQuotaAnswersEnospcWithoutEffect() throws Exception {
        core = new CoreGateway(regionDir, 60_000, new SessionQuotas(64L << 20, 4, 64));
        GuestVmm vmm = new GuestVmm(core, "small"); // the context: object 1 of the quota
        int ioas = vmm.ioas(); // 2
        int dev = vmm.bind(NIC); // 3
        int hwpt = vmm.iommufd.hwptAlloc(HwptAllocRequest.newBuilder().setIommufd(vmm.fd).setDevId(dev)
                .setPtId(ioas).build()).getOutHwptId(); // 4: the quota is full
        fails(Status.Code.RESOURCE_EXHAUSTED, "ENOSPC", () -> vmm.iommufd.hwptAlloc(HwptAllocRequest.newBuilder()
                .setIommufd(vmm.fd).setDevId(dev).setPtId(ioas).build()));
        fails(Status.Code.RESOURCE_EXHAUSTED, "ENOSPC", () -> vmm.devices.bindIommufd(
                bind(CoreGateway.VTD_DEVICE, vmm.fd)));
        assertFalse(entry(vmm, CoreGateway.VTD_DEVICE).getBound(), "the refused bind claimed nothing");
        vmm.iommufd.destroy(io.nestor.gateway.grpc.proto.DestroyRequest.newBuilder().setIommufd(vmm.fd)
                .setId(hwpt).build());
        assertEquals(hwpt, vmm.iommufd.hwptAlloc(HwptAllocRequest.newBuilder().setIommufd(vmm.fd)
                .setDevId(dev).setPtId(ioas).build()).getOutHwptId(),
                "room again after DESTROY; the freed id is reused, as xa_alloc does");
    }

    @Test
    void configSpaceIsThePlatformsAndOutlivesTheSession() throws Exception {
        core = new CoreGateway(regionDir);
        GuestVmm a = new GuestVmm(core, "a");
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> a.devices.readConfig(ReadConfigRequest.newBuilder()
                .setDevice(NIC).setCount(4).build())); // not bound yet
        a.bind(NIC);
        ByteBuffer header = a.devices.readConfig(ReadConfigRequest.newBuilder().setDevice(NIC).setOffset(0x100)
                .setCount(8).build()).getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(PASID_CAP_ID, header.getShort(0) & 0xffff, "the PASID capability leads the extended list");
        assertEquals(0, header.getShort(6), "PASID Control: not enabled");
        assertEquals(2, a.devices.writeConfig(WriteConfigRequest.newBuilder().setDevice(NIC).setOffset(0x106)
                .setData(ByteString.copyFrom(new byte[] {1, 0})).build()).getCount());
        SessionsGrpc.newBlockingStub(a.channel).close(CloseSessionRequest.getDefaultInstance());

        GuestVmm b = new GuestVmm(core, "b");
        b.bind(NIC);
        assertArrayEquals(new byte[] {1, 0}, b.devices.readConfig(ReadConfigRequest.newBuilder().setDevice(NIC)
                .setOffset(0x106).setCount(2).build()).getData().toByteArray(), "PASID Enable kept its value");
        fails(Status.Code.INVALID_ARGUMENT, "EFAULT", () -> b.devices.readConfig(ReadConfigRequest.newBuilder()
                .setDevice(NIC).setOffset(0xffe).setCount(4).build()));
    }

    @Test
    void dirtyTrackingReportsTheDevicesWrites() throws Exception {
        core = new CoreGateway(regionDir);
        GuestVmm vmm = new GuestVmm(core, "migrating");
        Region region = vmm.region(0x10_0000L);
        int ioas = vmm.ioas();
        vmm.map(ioas, region, 0x10_0000L);
        int dev = vmm.bind(NIC);
        int hwpt = vmm.iommufd.hwptAlloc(HwptAllocRequest.newBuilder().setIommufd(vmm.fd).setFlags(2)
                .setDevId(dev).setPtId(ioas).build()).getOutHwptId(); // IOMMU_HWPT_ALLOC_DIRTY_TRACKING
        vmm.devices.attachIommufdPt(AttachIommufdPtRequest.newBuilder().setDevice(NIC).setPtId(hwpt).build());
        vmm.iommufd.hwptSetDirtyTracking(HwptSetDirtyTrackingRequest.newBuilder().setIommufd(vmm.fd)
                .setHwptId(hwpt).setFlags(1).build());
        vmm.dma.write(DmaWriteRequest.newBuilder().setSource(DmaSource.newBuilder().setDevId(dev))
                .setIova(0x10_3000L).setData(ByteString.copyFrom(new byte[] {42})).build());
        ByteBuffer bitmap = vmm.iommufd.hwptGetDirtyBitmap(HwptGetDirtyBitmapRequest.newBuilder()
                .setIommufd(vmm.fd).setHwptId(hwpt).setIova(0x10_0000L).setLength(0x8000).setPageSize(0x1000)
                .build()).getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(8, bitmap.remaining());
        assertEquals(0b1000, bitmap.getLong(0), "page 3 was written");
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> vmm.iommufd.hwptGetDirtyBitmap(
                HwptGetDirtyBitmapRequest.newBuilder().setIommufd(vmm.fd).setHwptId(hwpt).setIova(0x10_0000L)
                        .setLength(0x8000).setPageSize(0x1800).build()));
    }

    /** A session's devices, objects and tables: region, IOAS map, bound NIC on a paging HWPT. */
    private static int buildEverything(GuestVmm vmm) {
        Region region = vmm.region(0x10_0000L);
        int ioas = vmm.ioas();
        vmm.map(ioas, region, 0x10_0000L);
        int dev = vmm.bind(NIC);
        int hwpt = vmm.iommufd.hwptAlloc(HwptAllocRequest.newBuilder().setIommufd(vmm.fd).setFlags(GuestVmm.NEST_PARENT)
                .setDevId(dev).setPtId(ioas).build()).getOutHwptId();
        vmm.devices.attachIommufdPt(AttachIommufdPtRequest.newBuilder().setDevice(NIC).setPtId(hwpt).build());
        assertEquals(region.getHostPhysicalBase(), vmm.translate(dev, -1, 0x10_0000L).getTranslation()
                .getOutputAddress());
        return dev;
    }

    /**
     * A first session's build and close: it also brings up what stays for the platform's life (the
     * units' root and context tables, queues, stream table), so page counts are compared after it.
     */
    private static void warmUp(CoreGateway core) {
        GuestVmm first = new GuestVmm(core, "first");
        buildEverything(first);
        SessionsGrpc.newBlockingStub(first.channel).close(CloseSessionRequest.getDefaultInstance());
    }

    @Test
    void closingASessionUnbindsItsDevicesAndGivesBackEveryPage() throws Exception {
        core = new CoreGateway(regionDir);
        warmUp(core);
        long pages = core.registry.structurePages().livePages();
        GuestVmm vmm = new GuestVmm(core, "short-lived");
        buildEverything(vmm);
        assertTrue(core.registry.structurePages().livePages() > pages, "the paging domain built tables");
        SessionsGrpc.newBlockingStub(vmm.channel).close(CloseSessionRequest.getDefaultInstance());
        assertEquals(pages, core.registry.structurePages().livePages());
        GuestVmm next = new GuestVmm(core, "next");
        assertFalse(entry(next, NIC).getBound());
        buildEverything(next); // the device binds again and its tables are built afresh
    }

    @Test
    void leaseExpiryUnbindsItsDevicesAndGivesBackEveryPage() throws Exception {
        core = new CoreGateway(regionDir, 5_000, new SessionQuotas(64L << 20, 64, 64));
        warmUp(core);
        long pages = core.registry.structurePages().livePages();
        GuestVmm vmm = new GuestVmm(core, "crashing"); // default lease: 5 s, never renewed
        buildEverything(vmm);
        for (int i = 0; i < 4_000 && core.sessions.find(vmm.session).isPresent(); i++) {
            Thread.sleep(5);
        }
        assertFalse(core.sessions.find(vmm.session).isPresent(), "the lease ran out");
        assertEquals(pages, core.registry.structurePages().livePages());
        assertFalse(entry(new GuestVmm(core, "next"), NIC).getBound());
    }
}
