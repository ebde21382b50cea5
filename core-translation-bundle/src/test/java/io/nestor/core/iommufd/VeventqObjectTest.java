package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.ARM;
import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static io.nestor.core.iommufd.HwptAllocFlags.NEST_PARENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * VEVENTQ objects: IOMMU_VEVENTQ_ALLOC's rules in the kernel's order, the reference on the vIOMMU,
 * and faults of a device on a vIOMMU's nested HWPT reported as vEVENTs with its vSID — only the
 * event types the SMMUv3 driver forwards, never a stage-2 fault — with overflow shown as a
 * lost-events header.
 */
class VeventqObjectTest {
    private static final int SMMUV3 = 1;
    private static final byte[] STE = {1, 0, 0, 0, 0, 0, 0, 0};

    private final DeviceFixture f = new DeviceFixture();
    private final IommufdEventRouter router = new IommufdEventRouter(f.platform);
    private final int arm = f.bind(ARM);
    private final int ioas = f.ioas();
    private final int parent = f.pagingHwpt(arm, ioas, NEST_PARENT);
    private final int viommu = f.context.viommus().allocViommu(0, SMMUV3, arm, parent, null);

    VeventqObjectTest() {
        f.registry.faults().addListener(router);
    }

    @AfterEach
    void close() {
        f.registry.faults().removeListener(router);
    }

    private int veventq(int depth) {
        return f.context.eventQueues().veventqAlloc(0, viommu, SMMUV3, depth, 0);
    }

    private void fault(long iova) {
        f.registry.faults().fault(f.unitOf(ARM), f.device(ARM), DeviceInfo.NO_PASID,
                new Fault(FaultStage.STAGE1, FaultReason.TRANSLATION, 3, Access.READ, iova, iova, false, 0));
    }

    private void attachNested(long vsid) {
        f.context.viommus().allocVdevice(viommu, arm, vsid);
        int nested = f.context.hwpts().alloc(HwptAllocCommand.nested(0, arm, viommu, 2, STE));
        f.context.devices().attach(arm, DeviceInfo.NO_PASID, nested);
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void veventqAllocChecksInTheKernelsOrder() {
        EventQueueCommands q = f.context.eventQueues();
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> q.veventqAlloc(1, 999, SMMUV3, 0, 0));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> q.veventqAlloc(0, 999, SMMUV3, 0, 1));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> q.veventqAlloc(0, 999, 0, 0, 0));
        f.failsUnchanged(Errno.EINVAL, () -> q.veventqAlloc(0, 999, SMMUV3, 0, 0));
        f.failsUnchanged(Errno.ENOENT, () -> q.veventqAlloc(0, 999, SMMUV3, 4, 0));
        f.failsUnchanged(Errno.ENOENT, () -> q.veventqAlloc(0, parent, SMMUV3, 4, 0));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> q.veventqAlloc(0, viommu, 2, 4, 0));
        int id = veventq(4);
        f.failsUnchanged(Errno.EEXIST, () -> q.veventqAlloc(0, viommu, SMMUV3, 8, 0));
        assertEquals(2, f.context.objects().users(viommu), "the queue holds the vIOMMU");
        f.failsUnchanged(Errno.EBUSY, () -> f.context.destroy(viommu));
        f.context.destroy(id);
        assertEquals(1, f.context.objects().users(viommu));
        assertTrue(veventq(4) > 0, "the type is free again");
    }

    @Test
    void aStage1FaultBecomesAVeventWithTheVsid() {
        int q = veventq(4);
        attachNested(0x42);
        fault(0x1234_5000L);
        List<byte[]> events = f.context.eventQueues().readVevents(q, 16);
        assertEquals(1, events.size());
        ByteBuffer e = le(events.get(0));
        assertEquals(40, e.remaining(), "header and struct iommu_vevent_arm_smmuv3");
        assertEquals(0, e.getInt(0), "flags");
        assertEquals(0, e.getInt(4), "sequence");
        assertEquals(0x10, e.get(8) & 0xff, "F_TRANSLATION");
        assertEquals(0x42, e.getInt(12), "StreamID replaced by the vSID");
        assertEquals(0x1234_5000L, e.getLong(24), "the rest as the hardware wrote it");
    }

    @Test
    void onlyTheForwardedTypesAndNeverStage2() {
        int q = veventq(16);
        attachNested(7);
        for (int id : new int[] {0x02, 0x03, 0x05, 0x07, 0x09, 0x0b, 0x20}) {
            f.smmu.eventId = id;
            fault(0x1000);
        }
        assertEquals(0, f.context.eventQueues().readVevents(q, 16).size(), "types the kernel does not forward");
        f.smmu.eventId = 0x10;
        f.smmu.stage2Event = true;
        fault(0x1000);
        assertEquals(0, f.context.eventQueues().readVevents(q, 16).size(), "a stage-2 fault stays the host's");
        f.smmu.stage2Event = false;
        int[] forwarded = {0x04, 0x06, 0x08, 0x0a, 0x10, 0x11, 0x12, 0x13};
        for (int id : forwarded) {
            f.smmu.eventId = id;
            fault(0x1000);
        }
        List<byte[]> events = f.context.eventQueues().readVevents(q, 16);
        assertEquals(forwarded.length, events.size());
        for (int i = 0; i < forwarded.length; i++) {
            assertEquals(forwarded[i], events.get(i)[8] & 0xff);
            assertEquals(i, le(events.get(i)).getInt(4), "sequence counts only what was reported");
        }
    }

    @Test
    void noVeventWithoutTheNestedAttachmentOrTheQueue() {
        attachNested(5);
        fault(0x1000); // no queue yet: dropped
        int q = veventq(4);
        assertEquals(0, f.context.eventQueues().readVevents(q, 4).size());
        f.context.devices().detach(arm, DeviceInfo.NO_PASID);
        fault(0x1000); // not attached to the vIOMMU's domain any more
        assertEquals(0, f.context.eventQueues().readVevents(q, 4).size());
        int nic = f.bind(NIC);
        f.context.devices().attach(nic, DeviceInfo.NO_PASID, f.pagingHwpt(nic, ioas, 0));
        f.registry.faults().fault(f.unitOf(NIC), f.device(NIC), -1,
                new Fault(FaultStage.STAGE2, FaultReason.TRANSLATION, 3, Access.READ, 0, 0, false, 0));
        assertEquals(0, f.context.eventQueues().readVevents(q, 4).size());
    }

    @Test
    void overflowIsReportedAsALostEventsHeader() {
        int q = veventq(2);
        attachNested(0x10);
        for (int i = 0; i < 4; i++) {
            fault(0x1000L * i);
        }
        List<byte[]> events = f.context.eventQueues().readVevents(q, 16);
        assertEquals(3, events.size());
        assertEquals(0, le(events.get(0)).getInt(4));
        assertEquals(1, le(events.get(1)).getInt(4));
        assertEquals(8, events.get(2).length, "a header without data");
        assertEquals(VeventQueue.FLAG_LOST_EVENTS, le(events.get(2)).getInt(0));
        assertEquals(3, le(events.get(2)).getInt(4), "the latest dropped event's sequence");
        fault(0x9000);
        assertEquals(4, le(f.context.eventQueues().readVevents(q, 16).get(0)).getInt(4));
    }

    @Test
    void closingTheContextFreesQueueAndViommu() {
        veventq(4);
        attachNested(0x10);
        fault(0x1000);
        f.context.close();
        assertTrue(f.smmu.calls.stream().anyMatch(c -> c.startsWith("freeViommu")), f.smmu.calls.toString());
    }
}
