package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;

/**
 * One 16-byte command of the SMMUv3 command queue: its opcodes and fields (SMMUv3 architecture
 * "Commands"; hw-formats.md §2.5; Linux arm-smmu-v3.h {@code CMDQ_OP_*}, {@code CMDQ_*_0_*},
 * {@code CMDQ_*_1_*}). Fields named {@code *_0} lie in {@link #dword0}, {@code *_1} in
 * {@link #dword1}.
 *
 * <p>CFGI_ALL is CFGI_STE_RANGE with Range = 31 (the architecture and Linux
 * {@code CMDQ_OP_CFGI_ALL = 0x4}); QEMU's enum places a separate CFGI_ALL at 0x07, which the
 * architecture does not have.
 */
public record Smmuv3Command(long dword0, long dword1) {

    public static final int PREFETCH_CONFIG = 0x01;
    public static final int PREFETCH_ADDR = 0x02;
    public static final int CFGI_STE = 0x03;
    public static final int CFGI_STE_RANGE = 0x04;
    public static final int CFGI_CD = 0x05;
    public static final int CFGI_CD_ALL = 0x06;
    public static final int TLBI_NH_ALL = 0x10;
    public static final int TLBI_NH_ASID = 0x11;
    public static final int TLBI_NH_VA = 0x12;
    public static final int TLBI_NH_VAA = 0x13;
    public static final int TLBI_EL3_ALL = 0x18;
    public static final int TLBI_EL3_VA = 0x1A;
    public static final int TLBI_EL2_ALL = 0x20;
    public static final int TLBI_EL2_ASID = 0x21;
    public static final int TLBI_EL2_VA = 0x22;
    public static final int TLBI_EL2_VAA = 0x23;
    public static final int TLBI_S12_VMALL = 0x28;
    public static final int TLBI_S2_IPA = 0x2A;
    public static final int TLBI_NSNH_ALL = 0x30;
    public static final int ATC_INV = 0x40;
    public static final int PRI_RESP = 0x41;
    public static final int RESUME = 0x44;
    public static final int STALL_TERM = 0x45;
    public static final int SYNC = 0x46;

    /** CFGI_STE_RANGE with this Range is CFGI_ALL. */
    public static final int CFGI_RANGE_ALL = 31;

    public static final RegisterField OPCODE = RegisterField.bits("Opcode", 7, 0);
    public static final RegisterField SSEC = RegisterField.bit("SSec", 10);
    public static final RegisterField SSV = RegisterField.bit("SSV", 11);
    public static final RegisterField SSID = RegisterField.bits("SSID", 31, 12);
    public static final RegisterField SID = RegisterField.bits("SID", 63, 32);
    public static final RegisterField CFGI_LEAF_1 = RegisterField.bit("Leaf", 0);
    public static final RegisterField CFGI_RANGE_1 = RegisterField.bits("Range", 4, 0);

    public static final RegisterField TLBI_NUM = RegisterField.bits("NUM", 16, 12);
    public static final RegisterField TLBI_SCALE = RegisterField.bits("SCALE", 24, 20);
    public static final RegisterField TLBI_VMID = RegisterField.bits("VMID", 47, 32);
    public static final RegisterField TLBI_ASID = RegisterField.bits("ASID", 63, 48);
    public static final RegisterField TLBI_LEAF_1 = RegisterField.bit("Leaf", 0);
    public static final RegisterField TLBI_TTL_1 = RegisterField.bits("TTL", 9, 8);
    public static final RegisterField TLBI_TG_1 = RegisterField.bits("TG", 11, 10);
    public static final RegisterField TLBI_VA_1 = RegisterField.bits("Address", 63, 12);
    public static final RegisterField TLBI_IPA_1 = RegisterField.bits("IPA", 51, 12);

    public static final RegisterField ATC_GLOBAL = RegisterField.bit("Global", 9);
    public static final RegisterField ATC_SIZE_1 = RegisterField.bits("Size", 5, 0);
    public static final RegisterField ATC_ADDR_1 = RegisterField.bits("Address", 63, 12);

    public static final RegisterField PRI_GRPID_1 = RegisterField.bits("PRGIndex", 8, 0);
    public static final RegisterField PRI_RESP_1 = RegisterField.bits("Resp", 13, 12);
    /** CMD_PRI_RESP Resp: PCIe Invalid Request, Response Failure, Success (Linux {@code enum pri_resp}). */
    public static final int PRI_RESP_DENY = 0;
    public static final int PRI_RESP_FAIL = 1;
    public static final int PRI_RESP_SUCCESS = 2;

    public static final RegisterField RESUME_ACTION = RegisterField.bits("Action", 13, 12);
    public static final RegisterField RESUME_STAG_1 = RegisterField.bits("STAG", 15, 0);
    /** CMD_RESUME Action (Linux {@code CMDQ_RESUME_0_RESP_*}). */
    public static final int RESUME_TERMINATE = 0;
    public static final int RESUME_RETRY = 1;
    public static final int RESUME_ABORT = 2;

    public static final RegisterField SYNC_CS = RegisterField.bits("CS", 13, 12);
    public static final RegisterField SYNC_MSH = RegisterField.bits("MSH", 23, 22);
    public static final RegisterField SYNC_MSIATTR = RegisterField.bits("MSIAttr", 27, 24);
    public static final RegisterField SYNC_MSIDATA = RegisterField.bits("MSIData", 63, 32);
    public static final RegisterField SYNC_MSIADDR_1 = RegisterField.bits("MSIAddr", 51, 2);
    public static final int SYNC_CS_NONE = 0;
    public static final int SYNC_CS_IRQ = 1;
    public static final int SYNC_CS_SEV = 2;

    public int opcode() {
        return (int) OPCODE.extract(dword0);
    }

    /** A dword-0 field. */
    public long field0(RegisterField field) {
        return field.extract(dword0);
    }

    /** A dword-1 field. */
    public long field1(RegisterField field) {
        return field.extract(dword1);
    }

    public int sid() {
        return (int) SID.extract(dword0);
    }

    public int ssid() {
        return (int) SSID.extract(dword0);
    }
}
