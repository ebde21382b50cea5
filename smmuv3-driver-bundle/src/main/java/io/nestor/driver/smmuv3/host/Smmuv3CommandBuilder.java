package io.nestor.driver.smmuv3.host;

import io.nestor.driver.smmuv3.hw.Smmuv3Command;

/**
 * The commands the host driver issues, composed the way Linux {@code arm_smmu_cmdq_build_cmd} does
 * (field positions from {@link Smmuv3Command}, hw-formats.md §2.5). Addresses keep bits 63:12; a
 * negative SubstreamID means "no SubstreamID" (SSV clear).
 */
final class Smmuv3CommandBuilder {

    /** ATC_INV Size that covers the whole address space (Linux {@code ATC_INV_SIZE_ALL}). */
    static final int ATC_INV_SIZE_ALL = 52;
    private static final long ADDR_MASK = 0xFFFF_FFFF_FFFF_F000L;

    static Smmuv3Command cfgiSte(int sid, boolean leaf) {
        return new Smmuv3Command(op(Smmuv3Command.CFGI_STE) | sid(sid), Smmuv3Command.CFGI_LEAF_1.insert(0, leaf));
    }

    /** CMD_CFGI_ALL: CMD_CFGI_STE_RANGE with Range = 31. */
    static Smmuv3Command cfgiAll() {
        return new Smmuv3Command(op(Smmuv3Command.CFGI_STE_RANGE),
                Smmuv3Command.CFGI_RANGE_1.insert(0, Smmuv3Command.CFGI_RANGE_ALL));
    }

    static Smmuv3Command cfgiCd(int sid, int ssid, boolean leaf) {
        return new Smmuv3Command(op(Smmuv3Command.CFGI_CD) | Smmuv3Command.SSID.insert(0, ssid) | sid(sid),
                Smmuv3Command.CFGI_LEAF_1.insert(0, leaf));
    }

    static Smmuv3Command cfgiCdAll(int sid) {
        return new Smmuv3Command(op(Smmuv3Command.CFGI_CD_ALL) | sid(sid), 0);
    }

    static Smmuv3Command tlbiNhAll(int vmid) {
        return new Smmuv3Command(op(Smmuv3Command.TLBI_NH_ALL) | Smmuv3Command.TLBI_VMID.insert(0, vmid), 0);
    }

    static Smmuv3Command tlbiNhAsid(int vmid, int asid) {
        return new Smmuv3Command(op(Smmuv3Command.TLBI_NH_ASID) | Smmuv3Command.TLBI_VMID.insert(0, vmid)
                | Smmuv3Command.TLBI_ASID.insert(0, asid), 0);
    }

    /**
     * CMD_TLBI_NH_VA (one ASID) or, with {@code asid < 0}, CMD_TLBI_NH_VAA (every ASID), for one
     * address (TG = 0: no range, NUM = SCALE = TTL = 0), as Linux issues it without IDR3.RIL.
     */
    static Smmuv3Command tlbiNhVa(int vmid, int asid, long address, boolean leaf) {
        long w0 = Smmuv3Command.TLBI_VMID.insert(0, vmid);
        w0 |= asid < 0 ? op(Smmuv3Command.TLBI_NH_VAA)
                : op(Smmuv3Command.TLBI_NH_VA) | Smmuv3Command.TLBI_ASID.insert(0, asid);
        return new Smmuv3Command(w0, (address & ADDR_MASK) | Smmuv3Command.TLBI_LEAF_1.insert(0, leaf));
    }

    /**
     * CMD_TLBI_S2_IPA for the one IPA {@code ipa} (TG = 0: no range, NUM = SCALE = TTL = 0), as Linux
     * issues it without IDR3.RIL; Leaf as given.
     */
    static Smmuv3Command tlbiS2Ipa(int vmid, long ipa, boolean leaf) {
        return new Smmuv3Command(op(Smmuv3Command.TLBI_S2_IPA) | Smmuv3Command.TLBI_VMID.insert(0, vmid),
                Smmuv3Command.TLBI_IPA_1.insert(0, ipa >>> 12) | Smmuv3Command.TLBI_LEAF_1.insert(0, leaf));
    }

    static Smmuv3Command tlbiS12Vmall(int vmid) {
        return new Smmuv3Command(op(Smmuv3Command.TLBI_S12_VMALL) | Smmuv3Command.TLBI_VMID.insert(0, vmid), 0);
    }

    static Smmuv3Command tlbiNsnhAll() {
        return new Smmuv3Command(op(Smmuv3Command.TLBI_NSNH_ALL), 0);
    }

    /** CMD_ATC_INV of {@code 2^size} 4 KiB pages at {@code address}. */
    static Smmuv3Command atcInv(int sid, int ssid, long address, int size) {
        long w0 = op(Smmuv3Command.ATC_INV) | sid(sid) | substream(ssid);
        return new Smmuv3Command(w0, (address & ADDR_MASK) | Smmuv3Command.ATC_SIZE_1.insert(0, size));
    }

    static Smmuv3Command priResp(int sid, int ssid, int grpid, int resp) {
        long w0 = op(Smmuv3Command.PRI_RESP) | sid(sid) | substream(ssid);
        return new Smmuv3Command(w0, Smmuv3Command.PRI_GRPID_1.insert(0, grpid) | Smmuv3Command.PRI_RESP_1.insert(0, resp));
    }

    static Smmuv3Command resume(int sid, int stag, int action) {
        return new Smmuv3Command(op(Smmuv3Command.RESUME) | sid(sid) | Smmuv3Command.RESUME_ACTION.insert(0, action),
                Smmuv3Command.RESUME_STAG_1.insert(0, stag));
    }

    /** CMD_SYNC with CS = none: completion is CMDQ_CONS passing it. */
    static Smmuv3Command sync() {
        return new Smmuv3Command(op(Smmuv3Command.SYNC) | Smmuv3Command.SYNC_CS.insert(0, Smmuv3Command.SYNC_CS_NONE), 0);
    }

    private static long substream(int ssid) {
        return ssid < 0 ? 0 : Smmuv3Command.SSV.insert(0, true) | Smmuv3Command.SSID.insert(0, ssid);
    }

    private static long op(int opcode) {
        return Smmuv3Command.OPCODE.insert(0, opcode);
    }

    private static long sid(int sid) {
        return Smmuv3Command.SID.insert(0, Integer.toUnsignedLong(sid));
    }

    private Smmuv3CommandBuilder() {
    }
}
