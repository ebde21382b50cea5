package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.RegisterField;

/**
 * One 16-byte SMMUv3 command-queue entry as the host driver composes it (SMMUv3 architecture
 * "Commands"; hw-formats.md §2.5; Linux {@code arm_smmu_cmdq_build_cmd} and the {@code CMDQ_*}
 * masks of arm-smmu-v3.h). Opcode in bits 7:0 of the first word; SID, where present, in bits 63:32.
 *
 * <p>Values are the two little-endian 64-bit words exactly as they are written into the queue.
 *
 * @param word0 bits 63:0
 * @param word1 bits 127:64
 */
public record Smmuv3Command(long word0, long word1) {

    public static final RegisterField OP = RegisterField.bits("OP", 7, 0);
    public static final RegisterField SSV = RegisterField.bit("SSV", 11);
    public static final RegisterField SSID = RegisterField.bits("SSID", 31, 12);
    public static final RegisterField SID = RegisterField.bits("SID", 63, 32);
    public static final RegisterField CFGI_LEAF = RegisterField.bit("Leaf", 0);
    public static final RegisterField CFGI_RANGE = RegisterField.bits("Range", 4, 0);
    public static final RegisterField TLBI_NUM = RegisterField.bits("NUM", 16, 12);
    public static final RegisterField TLBI_SCALE = RegisterField.bits("SCALE", 24, 20);
    public static final RegisterField TLBI_VMID = RegisterField.bits("VMID", 47, 32);
    public static final RegisterField TLBI_ASID = RegisterField.bits("ASID", 63, 48);
    public static final RegisterField TLBI_LEAF = RegisterField.bit("Leaf", 0);
    public static final RegisterField TLBI_TTL = RegisterField.bits("TTL", 9, 8);
    public static final RegisterField TLBI_TG = RegisterField.bits("TG", 11, 10);
    /** Address bits 63:12 of TLBI_NH_VA / NH_VAA / ATC_INV (in place). */
    public static final long ADDR_MASK = 0xFFFF_FFFF_FFFF_F000L;
    public static final RegisterField ATC_GLOBAL = RegisterField.bit("Global", 9);
    public static final RegisterField ATC_SIZE = RegisterField.bits("Size", 5, 0);
    public static final RegisterField PRI_GRPID = RegisterField.bits("PRGIndex", 8, 0);
    public static final RegisterField PRI_RESP = RegisterField.bits("Resp", 13, 12);
    public static final RegisterField RESUME_RESP = RegisterField.bits("Resp", 13, 12);
    public static final RegisterField RESUME_STAG = RegisterField.bits("STAG", 15, 0);
    public static final RegisterField SYNC_CS = RegisterField.bits("CS", 13, 12);

    public static final int OP_CFGI_STE = 0x03;
    /** CMD_CFGI_STE_RANGE; with Range = 31 it is CMD_CFGI_ALL (Linux {@code CMDQ_OP_CFGI_ALL}). */
    public static final int OP_CFGI_ALL = 0x04;
    public static final int OP_CFGI_CD = 0x05;
    public static final int OP_CFGI_CD_ALL = 0x06;
    public static final int OP_TLBI_NH_ALL = 0x10;
    public static final int OP_TLBI_NH_ASID = 0x11;
    public static final int OP_TLBI_NH_VA = 0x12;
    public static final int OP_TLBI_NH_VAA = 0x13;
    public static final int OP_TLBI_EL2_ALL = 0x20;
    public static final int OP_TLBI_S12_VMALL = 0x28;
    public static final int OP_TLBI_S2_IPA = 0x2A;
    public static final int OP_TLBI_NSNH_ALL = 0x30;
    public static final int OP_ATC_INV = 0x40;
    public static final int OP_PRI_RESP = 0x41;
    public static final int OP_RESUME = 0x44;
    public static final int OP_SYNC = 0x46;

    /** CMD_PRI_RESP Resp values (Linux {@code enum pri_resp}). */
    public static final int PRI_RESP_DENY = 0;
    public static final int PRI_RESP_FAIL = 1;
    public static final int PRI_RESP_SUCC = 2;
    /** CMD_RESUME Resp values (Linux {@code CMDQ_RESUME_0_RESP_*}). */
    public static final int RESUME_TERM = 0;
    public static final int RESUME_RETRY = 1;
    public static final int RESUME_ABORT = 2;
    /** CMD_SYNC CS = 0: no completion signal; software polls CMDQ_CONS. */
    public static final int SYNC_CS_NONE = 0;
    /** ATC_INV Size that covers the whole address space (Linux {@code ATC_INV_SIZE_ALL}). */
    public static final int ATC_INV_SIZE_ALL = 52;

    /** The command's opcode. */
    public int opcode() {
        return (int) OP.extract(word0);
    }

    public static Smmuv3Command cfgiSte(int sid, boolean leaf) {
        return new Smmuv3Command(op(OP_CFGI_STE) | sid(sid), CFGI_LEAF.insert(0, leaf));
    }

    /** CMD_CFGI_ALL: CMD_CFGI_STE_RANGE with Range = 31. */
    public static Smmuv3Command cfgiAll() {
        return new Smmuv3Command(op(OP_CFGI_ALL), CFGI_RANGE.insert(0, 31));
    }

    public static Smmuv3Command cfgiCd(int sid, int ssid, boolean leaf) {
        return new Smmuv3Command(op(OP_CFGI_CD) | SSID.insert(0, ssid) | sid(sid), CFGI_LEAF.insert(0, leaf));
    }

    public static Smmuv3Command cfgiCdAll(int sid) {
        return new Smmuv3Command(op(OP_CFGI_CD_ALL) | sid(sid), 0);
    }

    public static Smmuv3Command tlbiNhAll(int vmid) {
        return new Smmuv3Command(op(OP_TLBI_NH_ALL) | TLBI_VMID.insert(0, vmid), 0);
    }

    public static Smmuv3Command tlbiNhAsid(int vmid, int asid) {
        return new Smmuv3Command(op(OP_TLBI_NH_ASID) | TLBI_VMID.insert(0, vmid) | TLBI_ASID.insert(0, asid), 0);
    }

    /**
     * CMD_TLBI_NH_VA (one ASID) or, with {@code asid < 0}, CMD_TLBI_NH_VAA (every ASID), for the
     * single address {@code address} (TG = 0, no range), as Linux issues without IDR3.RIL.
     */
    public static Smmuv3Command tlbiNhVa(int vmid, int asid, long address, boolean leaf) {
        long w0 = TLBI_VMID.insert(0, vmid);
        w0 |= asid < 0 ? op(OP_TLBI_NH_VAA) : op(OP_TLBI_NH_VA) | TLBI_ASID.insert(0, asid);
        return new Smmuv3Command(w0, (address & ADDR_MASK) | TLBI_LEAF.insert(0, leaf));
    }

    public static Smmuv3Command tlbiS12Vmall(int vmid) {
        return new Smmuv3Command(op(OP_TLBI_S12_VMALL) | TLBI_VMID.insert(0, vmid), 0);
    }

    public static Smmuv3Command tlbiNsnhAll() {
        return new Smmuv3Command(op(OP_TLBI_NSNH_ALL), 0);
    }

    /**
     * CMD_ATC_INV for {@code 2^size} 4 KiB pages at {@code address} (aligned down by the
     * hardware); {@code ssid < 0} for no SubstreamID.
     */
    public static Smmuv3Command atcInv(int sid, int ssid, long address, int size) {
        long w0 = op(OP_ATC_INV) | sid(sid);
        if (ssid >= 0) {
            w0 |= SSV.insert(0, true) | SSID.insert(0, ssid);
        }
        return new Smmuv3Command(w0, (address & ADDR_MASK) | ATC_SIZE.insert(0, size));
    }

    /** CMD_PRI_RESP; {@code ssid < 0} for a page request without PASID. */
    public static Smmuv3Command priResp(int sid, int ssid, int grpid, int resp) {
        long w0 = op(OP_PRI_RESP) | sid(sid);
        if (ssid >= 0) {
            w0 |= SSV.insert(0, true) | SSID.insert(0, ssid);
        }
        return new Smmuv3Command(w0, PRI_GRPID.insert(0, grpid) | PRI_RESP.insert(0, resp));
    }

    public static Smmuv3Command resume(int sid, int stag, int resp) {
        return new Smmuv3Command(op(OP_RESUME) | sid(sid) | RESUME_RESP.insert(0, resp),
                RESUME_STAG.insert(0, stag));
    }

    /** CMD_SYNC with no completion signal: completion is observed through CMDQ_CONS. */
    public static Smmuv3Command sync() {
        return new Smmuv3Command(op(OP_SYNC) | SYNC_CS.insert(0, SYNC_CS_NONE), 0);
    }

    private static long op(int opcode) {
        return OP.insert(0, opcode);
    }

    private static long sid(int sid) {
        return SID.insert(0, Integer.toUnsignedLong(sid));
    }
}
