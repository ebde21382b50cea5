package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;

/**
 * Records a recoverable fault as the SMMU does (hw-formats.md §2.7):
 *
 * <ul>
 * <li>A <b>stalled transaction</b> becomes an event with Stall = 1 and its STAG in the event queue
 *     (recorded whatever CD.R / STE.S2R say). A {@link PageRequest} does not say which stage or
 *     which check faulted, so the event is an F_TRANSLATION with S2 = 0 and CLASS = IN, which is
 *     what Linux's {@code arm_smmu_handle_evt} turns into an I/O page fault. The transaction waits
 *     for CMD_RESUME ({@link Smmuv3CommandExecutor}). When the event cannot be recorded (queue
 *     disabled, full or unwritable) or the SMMU has no stall model, nobody can resume it and the
 *     SMMU terminates it: the device gets an abort (FAILURE).</li>
 * <li>A <b>PRI page request</b> becomes a 16-byte PRI queue entry ({@link Smmuv3PriEntry}), answered
 *     later with CMD_PRI_RESP. When it cannot be queued the SMMU answers the device itself for the
 *     last request of a group, since otherwise the group would never complete: after a queue
 *     overflow (or a write abort) with Success, so that the device retries its translation and asks
 *     again (the architecture's automatic response on PRI queue overflow, recalled from ARM IHI 0070
 *     chapter 8, not re-checked against its text here); while PRIQEN is clear, or on an SMMU without
 *     PRI, with Invalid Request, since nobody will ever serve it.</li>
 * </ul>
 *
 * @return the event record or PRI entry as written, or an empty array when it was not recorded
 */
public final class Smmuv3PageRequestRecorder {

    private static final byte[] NONE = new byte[0];

    public static byte[] record(UnitContext unit, DeviceInfo device, PageRequest request) {
        return request.stall() ? stall(unit, device, request) : pri(unit, request);
    }

    private static byte[] stall(UnitContext unit, DeviceInfo device, PageRequest request) {
        int idr0 = unit.registers().read32(Smmuv3RegisterOffsets.IDR0);
        if (Smmuv3Idr0.get(Smmuv3Idr0.STALL_MODEL, idr0) != Smmuv3Idr0.STALL_MODEL_TERMINATE_ONLY) {
            long[] d = new long[4];
            d[0] = Smmuv3EventRecord.TYPE.insert(0, Smmuv3EventType.F_TRANSLATION);
            d[0] = Smmuv3EventRecord.SID.insert(d[0], Integer.toUnsignedLong(device.sourceId()));
            if (request.pasid() >= 0) {
                d[0] = Smmuv3EventRecord.SSV.insert(d[0], true);
                d[0] = Smmuv3EventRecord.SSID.insert(d[0], request.pasid());
            }
            d[1] = Smmuv3FaultEvents.transactionAttributes(request.access());
            d[1] = Smmuv3EventRecord.STAG_1.insert(d[1], request.groupIndex());
            d[1] = Smmuv3EventRecord.STALL_1.insert(d[1], true);
            d[1] = Smmuv3EventRecord.CLASS_1.insert(d[1], Smmuv3EventRecord.CLASS_IN);
            d[2] = request.address();
            if (Smmuv3OutputQueue.EVENT.append(unit, d)) {
                return Smmuv3Queue.entryBytes(d);
            }
        }
        unit.completePageRequest(request.sourceId(),
                new PageResponse(request.pasid(), request.groupIndex(), true, PageResponseCode.FAILURE));
        return NONE;
    }

    private static byte[] pri(UnitContext unit, PageRequest request) {
        int idr0 = unit.registers().read32(Smmuv3RegisterOffsets.IDR0);
        int cr0 = unit.registers().read32(Smmuv3RegisterOffsets.CR0);
        PageResponseCode automatic;
        if (Smmuv3Idr0.get(Smmuv3Idr0.PRI, idr0) == 0
                || !Smmuv3ControlRegisters.CR0_PRIQEN.isSet(Integer.toUnsignedLong(cr0))) {
            automatic = PageResponseCode.INVALID;
        } else {
            long[] d = Smmuv3PriEntry.encode(request);
            if (Smmuv3OutputQueue.PRI.append(unit, d)) {
                return Smmuv3Queue.entryBytes(d);
            }
            automatic = PageResponseCode.SUCCESS;
        }
        if (request.lastInGroup()) {
            unit.completePageRequest(request.sourceId(),
                    new PageResponse(request.pasid(), request.groupIndex(), false, automatic));
        }
        return NONE;
    }

    private Smmuv3PageRequestRecorder() {
    }
}
