package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;

/**
 * One 32-byte event record of the SMMUv3 event queue, as four little-endian 64-bit words (SMMUv3
 * architecture "Event records"; hw-formats.md §2.6; Linux arm-smmu-v3.h {@code EVTQ_0_*} ..
 * {@code EVTQ_3_*}). Field constants are positioned within their own word: record bit
 * {@code 64 * n + b} is bit {@code b} of {@code dwords[n]}.
 *
 * <ul>
 * <li>word 0: EventType 7:0, SSV 11, SubstreamID 31:12, StreamID 63:32;</li>
 * <li>word 1: STAG 15:0, Stall 31, PnU 33, InD 34, RnW 35 (1 = read), S2 39, CLASS 41:40
 *     (0 = CD, 1 = TT, 2 = IN), TTRnW 44 (the table access that faulted was a read);</li>
 * <li>word 2: InputAddr, the transaction's untranslated address;</li>
 * <li>word 3: IPA 51:12 for a stage-2 fault, or FetchAddr 51:3 for F_STE_FETCH / F_CD_FETCH /
 *     F_WALK_EABT.</li>
 * </ul>
 */
public final class Smmuv3EventRecord {

    public static final RegisterField TYPE = RegisterField.bits("EventType", 7, 0);
    public static final RegisterField SSV = RegisterField.bit("SSV", 11);
    public static final RegisterField SSID = RegisterField.bits("SubstreamID", 31, 12);
    public static final RegisterField SID = RegisterField.bits("StreamID", 63, 32);
    public static final RegisterField STAG_1 = RegisterField.bits("STAG", 15, 0);
    public static final RegisterField STALL_1 = RegisterField.bit("Stall", 31);
    public static final RegisterField PNU_1 = RegisterField.bit("PnU", 33);
    public static final RegisterField IND_1 = RegisterField.bit("InD", 34);
    public static final RegisterField RNW_1 = RegisterField.bit("RnW", 35);
    public static final RegisterField S2_1 = RegisterField.bit("S2", 39);
    public static final RegisterField CLASS_1 = RegisterField.bits("CLASS", 41, 40);
    public static final RegisterField TT_RNW_1 = RegisterField.bit("TTRnW", 44);
    public static final RegisterField IPA_3 = RegisterField.bits("IPA", 51, 12);
    public static final RegisterField FETCH_ADDR_3 = RegisterField.bits("FetchAddr", 51, 3);

    /** CLASS: what the faulting access was for. */
    public static final int CLASS_CD = 0;
    public static final int CLASS_TT = 1;
    public static final int CLASS_IN = 2;

    private Smmuv3EventRecord() {
    }
}
