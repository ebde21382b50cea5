package io.nestor.gateway.grpc.vfio;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.EventCollector;
import io.nestor.gateway.grpc.proto.AttachIommufdPtRequest;
import io.nestor.gateway.grpc.proto.DetachIommufdPtRequest;
import io.nestor.gateway.grpc.proto.Device;
import io.nestor.gateway.grpc.proto.DeviceFaultEvent;
import io.nestor.gateway.grpc.proto.DmaResult;
import io.nestor.gateway.grpc.proto.Event;
import io.nestor.gateway.grpc.proto.ListDevicesRequest;
import io.nestor.gateway.grpc.proto.ListVfioDevicesRequest;
import io.nestor.gateway.grpc.proto.PlatformGrpc;
import io.nestor.gateway.grpc.proto.Region;
import io.nestor.gateway.grpc.proto.TranslateRequest;
import io.nestor.gateway.grpc.proto.UnbindDeviceRequest;
import io.nestor.gateway.grpc.proto.VfioDeviceEntry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IOMMU-backed mediated devices over gRPC against the real core and VT-d driver, with the embedded
 * default topology's two mdevs of the accelerator {@value #PARENT} (default PASIDs 0x100 / 0x101):
 * both listings report parent and default PASID; two sessions each own one mdev and their DMA of the
 * same IOVA reaches each session's own memory through the parent's two PASIDs; the parent cannot be
 * bound while an mdev is, nor an mdev while the parent is; an mdev has no PASIDs of its own to
 * attach or to issue; its faults are reported under its name and dev_id, without PASID, to its
 * owner only.
 */
class MediatedDeviceGrpcTest {
    private static final String PARENT = CoreGateway.PRI_DEVICE;
    private static final String MDEV1 = "5b0c6f1e-0001-4c5e-9a6d-000000000001";
    private static final String MDEV2 = "5b0c6f1e-0001-4c5e-9a6d-000000000002";
    /** The IOVA both sessions map, each to its own region. */
    private static final long IOVA = 0x10_0000L;
    private static final long SIZE = 0x10_0000L;

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

    private static EventCollector subscribe(GuestVmm vmm) {
        return EventCollector.subscribe(vmm.channel);
    }

    /** A session that owns {@code mdev}, attached to an IOAS mapping IOVA to a region of its own. */
    private record Owner(GuestVmm vmm, int devId, int ioas, Region region) {
    }

    private static Owner own(GuestVmm vmm, String mdev) {
        Region region = vmm.region(SIZE);
        int ioas = vmm.ioas();
        vmm.map(ioas, region, IOVA);
        int devId = vmm.bind(mdev);
        int pt = vmm.devices.attachIommufdPt(AttachIommufdPtRequest.newBuilder().setDevice(mdev).setPtId(ioas)
                .build()).getPtId();
        assertNotEquals(ioas, pt, "attaching to an IOAS answers the auto HWPT's id");
        return new Owner(vmm, devId, ioas, region);
    }

    @Test
    void bothListingsReportParentAndDefaultPasid() {
        GuestVmm vmm = new GuestVmm(core, "lister");
        Map<String, VfioDeviceEntry> vfio = vmm.devices.listDevices(ListVfioDevicesRequest.getDefaultInstance())
                .getDevicesList().stream().collect(Collectors.toMap(VfioDeviceEntry::getName, Function.identity()));
        assertEquals(PARENT, vfio.get(MDEV1).getParent());
        assertEquals(0x100, vfio.get(MDEV1).getDefaultPasid());
        assertEquals(PARENT, vfio.get(MDEV2).getParent());
        assertEquals(0x101, vfio.get(MDEV2).getDefaultPasid());
        assertEquals("dmar0", vfio.get(MDEV1).getUnit(), "behind its parent's unit");
        assertEquals(9, vfio.size(), "seven physical devices and two mdevs");
        for (VfioDeviceEntry e : vfio.values()) {
            if (!e.getName().equals(MDEV1) && !e.getName().equals(MDEV2)) {
                assertEquals("", e.getParent(), e.getName());
                assertEquals(0, e.getDefaultPasid(), e.getName());
            }
        }

        List<Device> platform = PlatformGrpc.newBlockingStub(vmm.channel)
                .listDevices(ListDevicesRequest.getDefaultInstance()).getDevicesList();
        Map<String, Device> devices = platform.stream()
                .collect(Collectors.toMap(Device::getName, Function.identity()));
        assertEquals(vfio.keySet(), devices.keySet(), "the same devices in both listings");
        assertEquals(PARENT, devices.get(MDEV1).getParent());
        assertEquals(0x100, devices.get(MDEV1).getDefaultPasid());
        assertEquals(PARENT, devices.get(MDEV2).getParent());
        assertEquals(0x101, devices.get(MDEV2).getDefaultPasid());
        assertEquals(devices.get(PARENT).getSourceId(), devices.get(MDEV1).getSourceId(), "the parent's RID");
        assertEquals(0, devices.get(MDEV1).getPasidBits(), "no PASID capability of its own");
        for (Device d : platform) {
            if (!d.getName().equals(MDEV1) && !d.getName().equals(MDEV2)) {
                assertEquals("", d.getParent(), d.getName());
                assertEquals(0, d.getDefaultPasid(), d.getName());
            }
        }
    }

    @Test
    void twoSessionsMdevsAreIsolatedThroughTheParentsPasids() throws Exception {
        GuestVmm a = new GuestVmm(core, "a");
        GuestVmm b = new GuestVmm(core, "b");
        EventCollector aEvents = subscribe(a);
        EventCollector bEvents = subscribe(b);
        Owner one = own(a, MDEV1);
        Owner two = own(b, MDEV2);

        // the same IOVA from each mdev reaches its own session's memory
        DmaResult fromOne = a.translate(one.devId(), -1, IOVA + 0x10);
        DmaResult fromTwo = b.translate(two.devId(), -1, IOVA + 0x10);
        assertEquals(one.region().getHostPhysicalBase() + 0x10, fromOne.getTranslation().getOutputAddress(),
                fromOne.toString());
        assertEquals(two.region().getHostPhysicalBase() + 0x10, fromTwo.getTranslation().getOutputAddress(),
                fromTwo.toString());
        assertNotEquals(one.region().getHostPhysicalBase(), two.region().getHostPhysicalBase());
        DmaResult byName = a.dma.translate(TranslateRequest.newBuilder()
                .addRequests(CoreGateway.dmaRequest(MDEV1, IOVA + 0x2000, 1)).build()).getResults(0);
        assertEquals(one.region().getHostPhysicalBase() + 0x2000, byName.getTranslation().getOutputAddress());
        // another session's mdev does not exist for this one's DMA
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> b.dma.translate(TranslateRequest.newBuilder()
                .addRequests(CoreGateway.dmaRequest(MDEV1, IOVA, 1)).build()));

        // the parent is busy while an mdev of it is bound
        GuestVmm c = new GuestVmm(core, "c");
        fails(Status.Code.FAILED_PRECONDITION, "EBUSY", () -> c.bind(PARENT));
        assertFalse(entry(c, PARENT).getBound(), "the refused bind claimed nothing");

        // an mdev has no PASIDs of its own: neither to attach nor to issue
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP", () -> a.devices.pasidAttachIommufdPt(
                AttachIommufdPtRequest.newBuilder().setDevice(MDEV1).setPtId(one.ioas()).setPasid(5).build()));
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP", () -> a.devices.pasidDetachIommufdPt(
                DetachIommufdPtRequest.newBuilder().setDevice(MDEV1).setPasid(5).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> a.translate(one.devId(), 0x100, IOVA));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> a.translate(one.devId(), 5, IOVA));
        assertEquals(one.region().getHostPhysicalBase(), a.translate(one.devId(), -1, IOVA).getTranslation()
                .getOutputAddress(), "the refused calls changed nothing");

        // a fault of mdev 1's DMA is reported as mdev 1's, without PASID, to its owner only
        long unmapped = IOVA + SIZE + 0x3000;
        DmaResult faulted = a.translate(one.devId(), -1, unmapped);
        assertEquals(DmaResult.OutcomeCase.FAULT, faulted.getOutcomeCase(), faulted.toString());
        assertEquals(unmapped, faulted.getFault().getFaultAddress());
        DeviceFaultEvent mine = nextDeviceFault(aEvents);
        assertEquals(MDEV1, mine.getDevice());
        assertEquals(one.devId(), mine.getDevId());
        assertFalse(mine.getPasidValid(), "the mdev's DMA carries no PASID of its own");
        assertEquals(0, mine.getPasid());
        assertEquals(unmapped, mine.getIova());
        assertEquals("dmar0", mine.getUnit());
        // b's stream carries its own mdev's fault first: mdev 1's never reached it
        assertEquals(DmaResult.OutcomeCase.FAULT, b.translate(two.devId(), -1, unmapped).getOutcomeCase());
        DeviceFaultEvent theirs = nextDeviceFault(bEvents);
        assertEquals(MDEV2, theirs.getDevice());
        assertEquals(two.devId(), theirs.getDevId());
        assertFalse(theirs.getPasidValid());
        assertTrue(bEvents.events.isEmpty(), "b heard only of its own mdev: " + bEvents.events);
        assertTrue(aEvents.events.isEmpty(), "a heard nothing of b's mdev: " + aEvents.events);
    }

    @Test
    void anMdevIsBusyWhileItsParentIsBoundAndFreeOnceItIsUnbound() {
        GuestVmm host = new GuestVmm(core, "host");
        GuestVmm guest = new GuestVmm(core, "guest");
        host.bind(PARENT);
        fails(Status.Code.FAILED_PRECONDITION, "EBUSY", () -> guest.bind(MDEV1));
        fails(Status.Code.FAILED_PRECONDITION, "EBUSY", () -> host.bind(MDEV2)); // the parent's owner too
        assertFalse(entry(guest, MDEV1).getBound(), "the refused bind claimed nothing");
        host.devices.unbind(UnbindDeviceRequest.newBuilder().setDevice(PARENT).build());
        guest.bind(MDEV1);
        assertTrue(entry(guest, MDEV1).getBoundByCaller());
    }

    private static DeviceFaultEvent nextDeviceFault(EventCollector events) throws InterruptedException {
        Event e = events.events.poll(10, TimeUnit.SECONDS);
        assertNotNull(e, "a fault event is delivered");
        assertEquals(Event.KindCase.DEVICE_FAULT, e.getKindCase(), e.toString());
        return e.getDeviceFault();
    }

    private static VfioDeviceEntry entry(GuestVmm vmm, String device) {
        return vmm.devices.listDevices(ListVfioDevicesRequest.getDefaultInstance()).getDevicesList().stream()
                .filter(d -> d.getName().equals(device)).findFirst().orElseThrow();
    }
}
