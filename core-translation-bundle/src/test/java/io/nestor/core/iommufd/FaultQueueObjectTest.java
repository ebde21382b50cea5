package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.ARM;
import static io.nestor.core.iommufd.DeviceFixture.LEGACY;
import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static io.nestor.core.iommufd.HwptAllocFlags.FAULT_ID_VALID;
import static io.nestor.core.iommufd.HwptAllocFlags.NEST_PARENT;
import static io.nestor.core.iommufd.HwptAllocFlags.PASID;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.core.dma.DeviceDma;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * FAULT objects: IOMMU_FAULT_QUEUE_ALLOC, HWPT_ALLOC with FAULT_ID_VALID, the routing of page
 * requests to the queue of the HWPT they reach, responses back to the device through the driver,
 * and the automatic INVALID answers when a device leaves the HWPT or the context closes.
 */
class FaultQueueObjectTest {
    private static final byte[] STE = {1, 0, 0, 0, 0, 0, 0, 0};

    private final DeviceFixture f = new DeviceFixture();
    private final IommufdEventRouter router = new IommufdEventRouter(f.platform);
    private final BlockingQueue<Integer> readable = new LinkedBlockingQueue<>();
    private final int nic = f.bind(NIC);
    private final int ioas = f.ioas();

    FaultQueueObjectTest() {
        f.registry.faults().addListener(router);
        f.context.setQueueListener(new QueueListener() {
            @Override
            public void faultReadable(int faultId) {
                readable.add(faultId);
            }
        });
    }

    @AfterEach
    void close() {
        f.registry.faults().removeListener(router);
    }

    private int fault() {
        return f.context.eventQueues().faultQueueAlloc(0);
    }

    private int faultHwpt(int devId, int faultId, int flags) {
        return f.context.hwpts().alloc(new HwptAllocCommand(FAULT_ID_VALID | flags, devId, ioas, 0,
                HwptAllocFlags.DATA_NONE, null, faultId));
    }

    private void request(String device, int pasid, int grpid, boolean last) {
        DeviceInfo d = f.device(device);
        f.registry.faults().pageRequest(f.unitOf(device),
                d, new PageRequest(d.sourceId(), pasid, 0x4000_0000L + grpid * 0x1000L, Access.READ | Access.WRITE,
                        grpid, last, false, 0));
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] response(int cookie, int code) {
        return le(new byte[8]).putInt(cookie).putInt(code).array();
    }

    @Test
    void faultQueueAllocRefusesFlagsAndIsDestroyableWhileUnused() {
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.eventQueues().faultQueueAlloc(1));
        int fault = fault();
        assertEquals(ObjectType.FAULT, f.context.objects().objects().stream().filter(o -> o.id() == fault)
                .findFirst().orElseThrow().type());
        f.failsUnchanged(Errno.ENOENT, () -> f.context.eventQueues().faultRespond(ioas, response(1, 0)));
        f.failsUnchanged(Errno.ENOENT, () -> f.context.eventQueues().readFault(ioas, 40));
        f.context.destroy(fault);
        f.failsUnchanged(Errno.ENOENT, () -> f.context.destroy(fault));
    }

    @Test
    void hwptAllocFaultIdValidLooksUpTheFaultObjectAndHoldsIt() {
        int fault = fault();
        f.failsUnchanged(Errno.ENOENT, () -> faultHwpt(nic, ioas, 0));
        f.failsUnchanged(Errno.ENOENT, () -> faultHwpt(nic, -1, 0));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> faultHwpt(nic, fault, NEST_PARENT));
        int hwpt = faultHwpt(nic, fault, 0);
        assertEquals(2, f.context.objects().users(fault), "the HWPT holds the FAULT object");
        assertTrue(f.vtd.calls.contains("allocPaging 0"), "the driver never sees FAULT_ID_VALID");
        f.failsUnchanged(Errno.EBUSY, () -> f.context.destroy(fault));
        f.context.destroy(hwpt);
        assertEquals(1, f.context.objects().users(fault));
        f.context.destroy(fault);
    }

    @Test
    void nestedHwptsTakeAFaultObjectToo() {
        int arm = f.bind(ARM);
        int parent = f.pagingHwpt(arm, ioas, NEST_PARENT);
        int viommu = f.context.viommus().allocViommu(0, 1, arm, parent, null);
        int fault = fault();
        int onViommu = f.context.hwpts().alloc(new HwptAllocCommand(FAULT_ID_VALID, arm, viommu, 0, 2, STE, fault));
        int onParent = f.context.hwpts().alloc(
                new HwptAllocCommand(FAULT_ID_VALID, arm, parent, 0, HwptTestDriver.NESTED_DATA_TYPE, STE, fault));
        assertEquals(3, f.context.objects().users(fault));
        f.failsUnchanged(Errno.ENOENT, () -> f.context.hwpts().alloc(
                new HwptAllocCommand(FAULT_ID_VALID, arm, parent, 0, HwptTestDriver.NESTED_DATA_TYPE, STE, viommu)));
        f.context.destroy(onViommu);
        f.context.destroy(onParent);
        assertEquals(1, f.context.objects().users(fault));
    }

    @Test
    void aPageRequestReachesTheQueueWithTheDevIdAndTheResponseReachesTheDevice() {
        int fault = fault();
        int hwpt = faultHwpt(nic, fault, 0);
        f.context.devices().attach(nic, DeviceInfo.NO_PASID, hwpt);
        request(NIC, -1, 5, false);
        request(NIC, -1, 5, true);
        assertEquals(List.of(fault), List.copyOf(readable), "readable once, with the group's last request");
        assertEquals(0, f.context.eventQueues().readFault(fault, 40).length, "a 2-record group does not fit 40 bytes");
        ByteBuffer read = le(f.context.eventQueues().readFault(fault, 4 * 40));
        assertEquals(80, read.remaining());
        for (int i = 0; i < 2; i++) {
            int at = i * 40;
            assertEquals(i == 1 ? 2 : 0, read.getInt(at), "flags: LAST_PAGE on the last, no PASID");
            assertEquals(nic, read.getInt(at + 4), "dev_id");
            assertEquals(5, read.getInt(at + 12), "grpid");
            assertEquals(3, read.getInt(at + 16), "perm READ | WRITE");
            assertEquals(0x4000_5000L, read.getLong(at + 24));
            assertEquals(1, read.getInt(at + 36), "cookie");
        }
        f.failsUnchanged(Errno.EINVAL, () -> f.context.eventQueues().faultRespond(fault, response(2, 0)));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.eventQueues().faultRespond(fault, response(1, 2)));
        assertTrue(f.vtd.responses.isEmpty());
        assertEquals(8, f.context.eventQueues().faultRespond(fault, response(1, 0)));
        assertEquals(List.of(NIC + " -1 5 false SUCCESS"), f.vtd.responses, "one response for the group");
        f.failsUnchanged(Errno.EINVAL, () -> f.context.eventQueues().faultRespond(fault, response(1, 0)));
    }

    @Test
    void aWriteWithALaterBadResponseAnswersTheGoodOnesAndReportsTheShortCount() {
        int fault = fault();
        f.context.devices().attach(nic, DeviceInfo.NO_PASID, faultHwpt(nic, fault, 0));
        request(NIC, -1, 1, true);
        request(NIC, -1, 2, true);
        f.context.eventQueues().readFault(fault, 80);
        byte[] two = le(new byte[24]).putInt(2).putInt(1).putInt(9).putInt(0).putInt(1).putInt(0).array();
        assertEquals(8, f.context.eventQueues().faultRespond(fault, two), "consumed up to the unknown cookie 9");
        assertEquals(List.of(NIC + " -1 2 false INVALID"), f.vtd.responses);
        assertEquals(8, f.context.eventQueues().faultRespond(fault, response(1, 0)), "cookie 1 still outstanding");
        assertEquals(NIC + " -1 1 false SUCCESS", f.vtd.responses.get(1));
    }

    @Test
    void requestsNoFaultQueueTakesAreAnsweredInvalidByThePlatform() {
        int plain = f.pagingHwpt(nic, ioas, PASID);
        f.context.devices().attach(nic, DeviceInfo.NO_PASID, plain);
        request(NIC, -1, 1, false); // even a group's first request: no handler, no collection
        request(NIC, 9, 2, true);   // no attachment at PASID 9 (VT-d: no fallback to the RID)
        request(LEGACY, -1, 3, true); // bound to no context: not iommufd's to answer
        assertEquals(List.of(NIC + " -1 1 false INVALID", NIC + " 9 2 false INVALID"), f.vtd.responses);
    }

    @Test
    void aRequestTheUnitCouldNotQueueNeverReachesTheFaultQueue() {
        int fault = fault();
        f.context.devices().attach(nic, DeviceInfo.NO_PASID, faultHwpt(nic, fault, 0));
        f.vtd.pageRequestQueueFull = true;
        request(NIC, -1, 1, true);
        assertTrue(readable.isEmpty());
        assertEquals(0, f.context.eventQueues().readFault(fault, 40).length);
        assertTrue(f.vtd.responses.isEmpty(), "the host driver never saw it, so it does not answer it");
    }

    @Test
    void theDeviceWaitingForItsAnswerGetsTheResponse() throws Exception {
        int fault = fault();
        f.context.devices().attach(nic, DeviceInfo.NO_PASID, faultHwpt(nic, fault, 0));
        DeviceDma dma = new DeviceDma(f.registry);
        DeviceInfo d = f.device(NIC);
        AtomicReference<Object> got = new AtomicReference<>();
        Thread device = new Thread(() -> {
            try {
                got.set(dma.pageRequest(d, new PageRequest(d.sourceId(), -1, 0x9000, Access.READ, 7, true, false, 0),
                        60_000));
            } catch (RuntimeException e) {
                got.set(e);
            }
        });
        device.start();
        assertEquals(fault, readable.poll(60, TimeUnit.SECONDS));
        byte[] records = f.context.eventQueues().readFault(fault, 40);
        f.context.eventQueues().faultRespond(fault, response(le(records).getInt(36), 0));
        device.join();
        assertEquals(new PageResponse(-1, 7, false, PageResponseCode.SUCCESS), got.get());
        dma.close();
    }

    @Test
    void detachAnswersEveryOutstandingGroupOfTheDeviceInvalid() {
        int fault = fault();
        int hwpt = faultHwpt(nic, fault, 0);
        f.context.devices().attach(nic, DeviceInfo.NO_PASID, hwpt);
        request(NIC, -1, 1, true);
        f.context.eventQueues().readFault(fault, 40); // group 1 delivered
        request(NIC, -1, 2, true);                     // group 2 queued
        request(NIC, -1, 3, false);                    // group 3 partial
        f.context.devices().detach(nic, DeviceInfo.NO_PASID);
        assertEquals(List.of(NIC + " -1 3 false INVALID", NIC + " -1 2 false INVALID", NIC + " -1 1 false INVALID"),
                f.vtd.responses);
        assertEquals(0, f.context.eventQueues().readFault(fault, 400).length);
        f.failsUnchanged(Errno.EINVAL, () -> f.context.eventQueues().faultRespond(fault, response(1, 0)));
    }

    @Test
    void replaceAnswersTheOldAttachmentsGroupsOnly() {
        int fault = fault();
        int hwpt = faultHwpt(nic, fault, PASID);
        int other = faultHwpt(nic, fault, PASID);
        f.context.devices().attach(nic, DeviceInfo.NO_PASID, hwpt);
        f.context.devices().attach(nic, 4, hwpt);
        request(NIC, -1, 1, true);
        request(NIC, 4, 2, true);
        f.context.devices().replace(nic, DeviceInfo.NO_PASID, other);
        assertEquals(List.of(NIC + " -1 1 false INVALID"), f.vtd.responses, "the PASID 4 group stays");
        ByteBuffer left = le(f.context.eventQueues().readFault(fault, 80));
        assertEquals(40, left.remaining());
        assertEquals(4, left.getInt(8));
        f.context.eventQueues().faultRespond(fault, response(left.getInt(36), 1));
        assertEquals(NIC + " 4 2 false INVALID", f.vtd.responses.get(1));
    }

    @Test
    void smmuRequestsForAPasidWithoutItsOwnAttachmentGoToTheNestedRidDomain() {
        int arm = f.bind(ARM);
        int parent = f.pagingHwpt(arm, ioas, NEST_PARENT);
        int viommu = f.context.viommus().allocViommu(0, 1, arm, parent, null);
        f.context.viommus().allocVdevice(viommu, arm, 0x42);
        int fault = fault();
        int nested = f.context.hwpts().alloc(new HwptAllocCommand(FAULT_ID_VALID, arm, viommu, 0, 2, STE, fault));
        f.context.devices().attach(arm, DeviceInfo.NO_PASID, nested);
        request(ARM, 3, 9, true);
        ByteBuffer r = le(f.context.eventQueues().readFault(fault, 40));
        assertEquals(1, r.getInt(0) & 1, "PASID_VALID");
        assertEquals(arm, r.getInt(4));
        assertEquals(3, r.getInt(8));
        f.context.devices().detach(arm, DeviceInfo.NO_PASID);
        assertEquals(List.of(ARM + " 3 9 false INVALID"), f.smmu.responses, "answered with the RID's detach");
    }

    @Test
    void closingTheContextAnswersEverythingInvalid() {
        int fault = fault();
        f.context.devices().attach(nic, DeviceInfo.NO_PASID, faultHwpt(nic, fault, 0));
        request(NIC, -1, 1, true);
        request(NIC, -1, 2, true);
        f.context.eventQueues().readFault(fault, 40);
        f.context.close();
        assertEquals(2, f.vtd.responses.size());
        assertTrue(f.vtd.responses.stream().allMatch(r -> r.endsWith("INVALID")), f.vtd.responses.toString());
        request(NIC, -1, 3, true); // the device is no longer bound anywhere: nobody answers
        assertEquals(2, f.vtd.responses.size());
    }

    @Test
    void destroyingTheFaultObjectAnswersWhatItStillHolds() {
        FaultQueueObject q = new FaultQueueObject(f.context);
        f.context.objects().reserve(q);
        f.context.objects().publish(q);
        DeviceObject dev = f.object(nic, ObjectType.DEVICE, DeviceObject.class);
        DeviceInfo d = f.device(NIC);
        q.add(dev, DeviceInfo.NO_PASID, new PageRequest(d.sourceId(), -1, 0x1000, Access.READ, 6, true, false, 0));
        q.add(dev, DeviceInfo.NO_PASID, new PageRequest(d.sourceId(), -1, 0x2000, Access.READ, 8, false, false, 0));
        f.context.destroy(q.id());
        assertEquals(List.of(NIC + " -1 8 false INVALID", NIC + " -1 6 false INVALID"), f.vtd.responses);
        assertArrayEquals(new byte[0], q.queue().read(400));
    }
}
