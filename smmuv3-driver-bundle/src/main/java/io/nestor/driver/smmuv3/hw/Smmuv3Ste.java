package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.FaultException;

/**
 * The fields of a Stream Table Entry that decide translation, over its first four 64-bit words
 * (SMMUv3 architecture "STE"; hw-formats.md §2.2; Linux arm-smmu-v3.h {@code STRTAB_STE_0_*} ..
 * {@code STRTAB_STE_3_*}). Field constants are positioned within their own word: STE bit
 * {@code 64 * n + b} is bit {@code b} of {@code dword(n)}.
 *
 * @param dword0 bits 63:0 (V, Config, S1Fmt, S1ContextPtr, S1CDMax)
 * @param dword1 bits 127:64 (S1DSS, S1STALLD, ...)
 * @param dword2 bits 191:128 (S2VMID, S2T0SZ, S2SL0, S2TG, S2PS, S2AA64, S2HD, S2HA, S2S, S2R, ...)
 * @param dword3 bits 255:192 (S2TTB)
 */
public record Smmuv3Ste(long dword0, long dword1, long dword2, long dword3) {

    public static final RegisterField V = RegisterField.bit("V", 0);
    public static final RegisterField CONFIG = RegisterField.bits("Config", 3, 1);
    public static final RegisterField S1FMT = RegisterField.bits("S1Fmt", 5, 4);
    public static final RegisterField S1_CONTEXT_PTR = RegisterField.bits("S1ContextPtr", 51, 6);
    public static final RegisterField S1CDMAX = RegisterField.bits("S1CDMax", 63, 59);
    public static final RegisterField S1DSS = RegisterField.bits("S1DSS", 1, 0);
    public static final RegisterField S2VMID = RegisterField.bits("S2VMID", 15, 0);
    public static final RegisterField S2T0SZ = RegisterField.bits("S2T0SZ", 37, 32);
    public static final RegisterField S2SL0 = RegisterField.bits("S2SL0", 39, 38);
    public static final RegisterField S2TG = RegisterField.bits("S2TG", 47, 46);
    public static final RegisterField S2PS = RegisterField.bits("S2PS", 50, 48);
    public static final RegisterField S2AA64 = RegisterField.bit("S2AA64", 51);
    public static final RegisterField S1STALLD = RegisterField.bit("S1STALLD", 27);
    public static final RegisterField S2HD = RegisterField.bit("S2HD", 55);
    public static final RegisterField S2S = RegisterField.bit("S2S", 57);
    public static final RegisterField S2R = RegisterField.bit("S2R", 58);
    public static final RegisterField S2HA = RegisterField.bit("S2HA", 56);
    public static final RegisterField S2TTB = RegisterField.bits("S2TTB", 51, 4);

    /** STE.Config values; 0b001..0b011 are reserved and abort like 0b000 (no event). */
    public static final int CONFIG_ABORT = 0b000;
    public static final int CONFIG_BYPASS = 0b100;
    public static final int CONFIG_S1_TRANS = 0b101;
    public static final int CONFIG_S2_TRANS = 0b110;
    public static final int CONFIG_NESTED = 0b111;

    /** STE.S1DSS: what a request without SubstreamID does when S1CDMax &gt; 0. */
    public static final int S1DSS_TERMINATE = 0;
    public static final int S1DSS_BYPASS = 1;
    public static final int S1DSS_SSID0 = 2;

    /** STE.S1Fmt: linear CD table, 2-level with 4 KiB (64-CD) leaves, 2-level with 64 KiB (1024-CD) leaves. */
    public static final int S1FMT_LINEAR = 0;
    public static final int S1FMT_4K_L2 = 1;
    public static final int S1FMT_64K_L2 = 2;

    /** Reads the STE at {@code address}; a bus error is F_STE_FETCH. */
    public static Smmuv3Ste read(PhysicalMemory memory, long address) throws FaultException {
        int fetch = Smmuv3EventType.F_STE_FETCH;
        return new Smmuv3Ste(Smmuv3ConfigFaults.read64(memory, address, fetch),
                Smmuv3ConfigFaults.read64(memory, address + 8, fetch),
                Smmuv3ConfigFaults.read64(memory, address + 16, fetch),
                Smmuv3ConfigFaults.read64(memory, address + 24, fetch));
    }

    public boolean valid() {
        return V.isSet(dword0);
    }

    public int config() {
        return (int) CONFIG.extract(dword0);
    }

    public int s1Fmt() {
        return (int) S1FMT.extract(dword0);
    }

    /** The CD table base (a PA for S1_TRANS, an IPA for NESTED). */
    public long s1ContextPtr() {
        return S1_CONTEXT_PTR.extract(dword0) << 6;
    }

    public int s1CdMax() {
        return (int) S1CDMAX.extract(dword0);
    }

    public int s1Dss() {
        return (int) S1DSS.extract(dword1);
    }

    public int s2Vmid() {
        return (int) S2VMID.extract(dword2);
    }

    public int s2T0sz() {
        return (int) S2T0SZ.extract(dword2);
    }

    public int s2Sl0() {
        return (int) S2SL0.extract(dword2);
    }

    public int s2Tg() {
        return (int) S2TG.extract(dword2);
    }

    public int s2Ps() {
        return (int) S2PS.extract(dword2);
    }

    public boolean s2Aa64() {
        return S2AA64.isSet(dword2);
    }

    public boolean s2Hd() {
        return S2HD.isSet(dword2);
    }

    public boolean s2Ha() {
        return S2HA.isSet(dword2);
    }

    /** STE.S1STALLD: stage-1 stalls are forbidden (a CD with S = 1 is then illegal). */
    public boolean s1Stalld() {
        return S1STALLD.isSet(dword1);
    }

    /** STE.S2S: stage-2 faults stall. */
    public boolean s2S() {
        return S2S.isSet(dword2);
    }

    /** STE.S2R: stage-2 translation faults are recorded in the event queue. */
    public boolean s2R() {
        return S2R.isSet(dword2);
    }

    public long s2Ttb() {
        return S2TTB.extract(dword3) << 4;
    }
}
