package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.FaultException;

/**
 * The fields of a Context Descriptor that decide a TTB0 stage-1 walk, over its first two 64-bit
 * words (SMMUv3 architecture "CD"; hw-formats.md §2.3; Linux arm-smmu-v3.h {@code CTXDESC_CD_0_*},
 * {@code CTXDESC_CD_1_*}). CD bit {@code 64 + b} is bit {@code b} of {@code dword1}. TTB1 is not
 * decoded: a device's IOVA space uses TTB0 only (Linux never sets TTB1 for a device).
 *
 * @param dword0 bits 63:0 (T0SZ, TG0, EPD0, V, IPS, AA64, HD, HA, S, R, A, ASID)
 * @param dword1 bits 127:64 (HAD0, TTB0)
 */
public record Smmuv3Cd(long dword0, long dword1) {

    public static final RegisterField T0SZ = RegisterField.bits("T0SZ", 5, 0);
    public static final RegisterField TG0 = RegisterField.bits("TG0", 7, 6);
    public static final RegisterField EPD0 = RegisterField.bit("EPD0", 14);
    public static final RegisterField V = RegisterField.bit("V", 31);
    public static final RegisterField IPS = RegisterField.bits("IPS", 34, 32);
    public static final RegisterField AA64 = RegisterField.bit("AA64", 41);
    public static final RegisterField HD = RegisterField.bit("HD", 42);
    public static final RegisterField HA = RegisterField.bit("HA", 43);
    public static final RegisterField S = RegisterField.bit("S", 44);
    public static final RegisterField R = RegisterField.bit("R", 45);
    public static final RegisterField A = RegisterField.bit("A", 46);
    public static final RegisterField ASID = RegisterField.bits("ASID", 63, 48);
    public static final RegisterField HAD0 = RegisterField.bit("HAD0", 1);
    public static final RegisterField TTB0 = RegisterField.bits("TTB0", 51, 4);

    /** Bytes per CD. */
    public static final int CD_SIZE = 64;

    /** Reads the CD at {@code address}; a bus error is F_CD_FETCH. */
    public static Smmuv3Cd read(PhysicalMemory memory, long address) throws FaultException {
        int fetch = Smmuv3EventType.F_CD_FETCH;
        return new Smmuv3Cd(Smmuv3ConfigFaults.read64(memory, address, fetch),
                Smmuv3ConfigFaults.read64(memory, address + 8, fetch));
    }

    public int t0sz() {
        return (int) T0SZ.extract(dword0);
    }

    /** TG0: 0 = 4 KiB, 1 = 64 KiB, 2 = 16 KiB, 3 reserved (the same order as STE.S2TG). */
    public int tg0() {
        return (int) TG0.extract(dword0);
    }

    public boolean epd0() {
        return EPD0.isSet(dword0);
    }

    public boolean valid() {
        return V.isSet(dword0);
    }

    public int ips() {
        return (int) IPS.extract(dword0);
    }

    public boolean aa64() {
        return AA64.isSet(dword0);
    }

    public boolean hd() {
        return HD.isSet(dword0);
    }

    public boolean ha() {
        return HA.isSet(dword0);
    }

    /** CD.S: stage-1 faults stall. */
    public boolean s() {
        return S.isSet(dword0);
    }

    /** CD.R: stage-1 translation faults are recorded in the event queue. */
    public boolean r() {
        return R.isSet(dword0);
    }

    /** CD.A: terminated transactions abort (rather than RAZ/WI with IDR0.TERM_MODEL = 0). */
    public boolean a() {
        return A.isSet(dword0);
    }

    public int asid() {
        return (int) ASID.extract(dword0);
    }

    public boolean had0() {
        return HAD0.isSet(dword1);
    }

    public long ttb0() {
        return TTB0.extract(dword1) << 4;
    }
}
