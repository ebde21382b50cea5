package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;

/**
 * The event record for a {@link Fault} (hw-formats.md §2.6, §3.3; Linux {@code arm_smmu_decode_event};
 * QEMU {@code smmuv3_record_event}).
 *
 * <ul>
 * <li>EventType: a configuration fault carries its event number ({@link Fault#vendorReason()},
 *     C_BAD_STE when absent); a stage fault maps TRANSLATION / ADDRESS_SIZE / ACCESS_FLAG /
 *     PERMISSION to F_TRANSLATION / F_ADDR_SIZE / F_ACCESS / F_PERMISSION and EXTERNAL_ABORT to
 *     F_WALK_EABT.</li>
 * <li>StreamID, and SSV with the SubstreamID when the request carried one.</li>
 * <li>Translation faults and F_WALK_EABT also carry RnW / InD / PnU from the request's access (the
 *     specification, not QEMU, which writes 0), InputAddr, S2 for a stage-2 fault and CLASS:
 *     CD for a stage-2 fault on a CD fetch ({@link Smmuv3StructureAddress#CD_FETCH_MARK}), TT for a
 *     stage-2 fault on a stage-1 table fetch and for a stage-1 external abort, IN otherwise. TTRnW
 *     is set with CLASS CD / TT: the table accesses this SMMU makes there are reads. Word 3 holds the
 *     IPA (bits 51:12) of a stage-2 translation fault.</li>
 * <li>F_STE_FETCH / F_CD_FETCH put the unreadable address in FetchAddr (word 3). F_WALK_EABT
 *     leaves FetchAddr 0: a {@link Fault} does not say which descriptor address aborted.</li>
 * <li>Stall / STAG are 0: a recorded fault is not a stall ({@link Smmuv3PageRequestRecorder} writes
 *     stall events).</li>
 * </ul>
 */
final class Smmuv3FaultEvents {

    static long[] encode(DeviceInfo device, int pasid, Fault fault) {
        int type = eventType(fault);
        long[] d = new long[4];
        d[0] = Smmuv3EventRecord.TYPE.insert(0, type);
        d[0] = Smmuv3EventRecord.SID.insert(d[0], Integer.toUnsignedLong(device.sourceId()));
        if (pasid != DeviceInfo.NO_PASID) {
            d[0] = Smmuv3EventRecord.SSV.insert(d[0], true);
            d[0] = Smmuv3EventRecord.SSID.insert(d[0], pasid);
        }
        if (type == Smmuv3EventType.F_STE_FETCH || type == Smmuv3EventType.F_CD_FETCH) {
            d[3] = Smmuv3EventRecord.FETCH_ADDR_3.insert(0, Smmuv3EventRecord.FETCH_ADDR_3.extract(fault.faultAddress()));
            return d;
        }
        if (fault.stage() == FaultStage.CONFIG) {
            return d;
        }
        boolean s2 = fault.stage() == FaultStage.STAGE2;
        int eventClass = eventClass(fault);
        d[1] = transactionAttributes(fault.access());
        d[1] = Smmuv3EventRecord.S2_1.insert(d[1], s2);
        d[1] = Smmuv3EventRecord.CLASS_1.insert(d[1], eventClass);
        d[1] = Smmuv3EventRecord.TT_RNW_1.insert(d[1], eventClass != Smmuv3EventRecord.CLASS_IN);
        d[2] = fault.iova();
        if (s2 && type != Smmuv3EventType.F_WALK_EABT) {
            d[3] = Smmuv3EventRecord.IPA_3.insert(0, Smmuv3EventRecord.IPA_3.extract(fault.faultAddress()));
        }
        return d;
    }

    /** Word 1's PnU, InD and RnW for a request with {@code access}. */
    static long transactionAttributes(int access) {
        long d1 = Smmuv3EventRecord.PNU_1.insert(0, (access & Access.PRIV) != 0);
        d1 = Smmuv3EventRecord.IND_1.insert(d1, (access & Access.EXEC) != 0);
        return Smmuv3EventRecord.RNW_1.insert(d1, (access & Access.WRITE) == 0);
    }

    static int eventType(Fault fault) {
        if (fault.stage() == FaultStage.CONFIG) {
            return fault.vendorReason() != 0 ? fault.vendorReason() : Smmuv3EventType.C_BAD_STE;
        }
        switch (fault.reason()) {
            case TRANSLATION:
                return Smmuv3EventType.F_TRANSLATION;
            case ADDRESS_SIZE:
                return Smmuv3EventType.F_ADDR_SIZE;
            case ACCESS_FLAG:
                return Smmuv3EventType.F_ACCESS;
            case PERMISSION:
                return Smmuv3EventType.F_PERMISSION;
            case EXTERNAL_ABORT:
                return Smmuv3EventType.F_WALK_EABT;
            default:
                return fault.vendorReason() != 0 ? fault.vendorReason() : Smmuv3EventType.C_BAD_STE;
        }
    }

    private static int eventClass(Fault fault) {
        if (fault.stage() == FaultStage.STAGE2) {
            if (fault.vendorReason() == Smmuv3StructureAddress.CD_FETCH_MARK) {
                return Smmuv3EventRecord.CLASS_CD;
            }
            return fault.onStage1TableFetch() ? Smmuv3EventRecord.CLASS_TT : Smmuv3EventRecord.CLASS_IN;
        }
        return fault.reason() == FaultReason.EXTERNAL_ABORT ? Smmuv3EventRecord.CLASS_TT
                : Smmuv3EventRecord.CLASS_IN;
    }

    private Smmuv3FaultEvents() {
    }
}
