package io.nestor.core.unit;

import io.nestor.api.driver.RegisterFile;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A unit's MMIO register space, kept by the core so that it outlives any driver. Backed by an
 * array of 64-bit words; a 32-bit write replaces its half of the word atomically, so concurrent
 * writers of the two halves of one 64-bit register do not lose each other's update.
 *
 * <p>Invariant: only the driver bound to the unit (under the unit's control lock) writes; readers
 * may read at any time and see whole 32- or 64-bit values.
 */
public final class UnitRegisterFile implements RegisterFile {

    /** 128 KiB: SMMUv3 register page 0 and page 1 (0x10000), and every VT-d register block. */
    public static final int SIZE = 128 * 1024;

    private final AtomicLongArray words = new AtomicLongArray(SIZE / 8);

    @Override
    public int size() {
        return SIZE;
    }

    @Override
    public int read32(int offset) {
        check(offset, 4);
        long word = words.get(offset >>> 3);
        return (int) (word >>> ((offset & 4) * 8));
    }

    @Override
    public long read64(int offset) {
        check(offset, 8);
        return words.get(offset >>> 3);
    }

    @Override
    public void write32(int offset, int value) {
        check(offset, 4);
        int index = offset >>> 3;
        int shift = (offset & 4) * 8;
        long mask = 0xffff_ffffL << shift;
        long bits = (value & 0xffff_ffffL) << shift;
        long old;
        do {
            old = words.get(index);
        } while (!words.compareAndSet(index, old, (old & ~mask) | bits));
    }

    @Override
    public void write64(int offset, long value) {
        check(offset, 8);
        words.set(offset >>> 3, value);
    }

    private static void check(int offset, int width) {
        if (offset < 0 || offset > SIZE - width || (offset & (width - 1)) != 0) {
            throw new IllegalArgumentException(String.format(
                    "register offset 0x%x is not a %d-byte aligned offset inside the %d-byte register file",
                    offset, width, SIZE));
        }
    }
}
