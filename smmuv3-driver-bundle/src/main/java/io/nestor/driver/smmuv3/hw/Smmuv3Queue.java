package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;

/**
 * The arithmetic of an SMMUv3 circular queue in memory (command, event and PRI queues; SMMUv3
 * architecture "Queues"; hw-formats.md §2.1; Linux arm-smmu-v3.h {@code Q_IDX}, {@code Q_WRP},
 * {@code Q_OVF}, {@code Q_BASE_*}).
 *
 * <ul>
 * <li>{@code *_BASE}: ADDR in bits 51:5, LOG2SIZE in bits 4:0 (the queue holds 2^LOG2SIZE entries).
 *     LOG2SIZE above the IDR1 maximum (CMDQS / EVENTQS / PRIQS) reads as that maximum, as in QEMU.
 *     The queue is aligned to its size: address bits below the larger of 32 bytes and the queue's
 *     byte size are ignored.</li>
 * <li>{@code *_PROD} / {@code *_CONS}: the index in bits LOG2SIZE-1:0 and the wrap bit at
 *     LOG2SIZE. The queue is empty when index and wrap agree, full when the indexes agree and the
 *     wrap bits differ. Bit 31 is the overflow flag (PROD.OVFLG, CONS.OVACKFLG) of the event and PRI
 *     queues; CMDQ_CONS bits 30:24 hold the command error (ERR).</li>
 * </ul>
 * Advancing a pointer changes only its index and wrap bit; the bits above are kept.
 */
public final class Smmuv3Queue {

    /** {@code *_BASE.RWA}: read / write-allocate hint for the queue's memory (set by the host driver, ignored here). */
    public static final RegisterField BASE_RWA = RegisterField.bit("RWA", 62);
    public static final RegisterField BASE_ADDR = RegisterField.bits("ADDR", 51, 5);
    public static final RegisterField BASE_LOG2SIZE = RegisterField.bits("LOG2SIZE", 4, 0);
    public static final RegisterField OVERFLOW = RegisterField.bit("OVFLG", 31);
    public static final RegisterField CMDQ_CONS_ERR = RegisterField.bits("ERR", 30, 24);

    /** Bytes per command, event record and PRI queue entry. */
    public static final int COMMAND_SIZE = 16;
    public static final int EVENT_SIZE = 32;
    public static final int PRI_ENTRY_SIZE = 16;

    /** The queue's log2 entry count: LOG2SIZE capped at the implementation's maximum. */
    public static int log2Size(long base, int maxLog2) {
        return Math.min((int) BASE_LOG2SIZE.extract(base), maxLog2);
    }

    /** The address of entry {@code pointer}'s index. */
    public static long entryAddress(long base, int log2Size, int entrySize, int pointer) {
        long bytes = (long) entrySize << log2Size;
        long address = BASE_ADDR.extract(base) << 5;
        if (bytes > 32) {
            address &= -bytes;
        }
        return address + (long) index(pointer, log2Size) * entrySize;
    }

    /** The index bits of a PROD / CONS value. */
    public static int index(int pointer, int log2Size) {
        return pointer & ((1 << log2Size) - 1);
    }

    /** The index and wrap bits of a PROD / CONS value. */
    public static int indexAndWrap(int pointer, int log2Size) {
        return pointer & ((2 << log2Size) - 1);
    }

    public static boolean isEmpty(int prod, int cons, int log2Size) {
        return indexAndWrap(prod, log2Size) == indexAndWrap(cons, log2Size);
    }

    public static boolean isFull(int prod, int cons, int log2Size) {
        return (indexAndWrap(prod, log2Size) ^ indexAndWrap(cons, log2Size)) == 1 << log2Size;
    }

    /** {@code pointer} moved one entry on, the wrap bit toggling past the last entry. */
    public static int advance(int pointer, int log2Size) {
        int mask = (2 << log2Size) - 1;
        return (pointer & ~mask) | ((pointer + 1) & mask);
    }

    /** Whether the overflow flag (PROD.OVFLG / CONS.OVACKFLG) is set. */
    public static boolean overflowFlag(int pointer) {
        return OVERFLOW.isSet(Integer.toUnsignedLong(pointer));
    }

    /** An entry's bytes as the SMMU writes them: its 64-bit words, little-endian. */
    public static byte[] entryBytes(long[] dwords) {
        byte[] bytes = new byte[8 * dwords.length];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (dwords[i / 8] >>> (8 * (i % 8)));
        }
        return bytes;
    }

    private Smmuv3Queue() {
    }
}
