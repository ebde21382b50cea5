package io.nestor.testkit;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import java.util.HashMap;
import java.util.Map;

/**
 * Test fixture: sparse little-endian physical memory backed by a map of bytes. Unwritten bytes read
 * as zero; any byte at or above {@code 1 << addressBits} raises EFAULT, as {@link PhysicalMemory}
 * specifies. Synchronized, which is enough for single-threaded decode tests.
 */
public final class MapPhysicalMemory implements PhysicalMemory {

    private final int addressBits;
    private final Map<Long, Byte> bytes = new HashMap<>();

    public MapPhysicalMemory(int addressBits) {
        this.addressBits = addressBits;
    }

    @Override
    public int addressBits() {
        return addressBits;
    }

    private void check(long address, int length) {
        long limit = 1L << addressBits;
        if (address < 0 || address + length > limit) {
            throw IommuException.of(Errno.EFAULT, "address 0x%x length %d beyond %d-bit memory", address, length,
                    addressBits);
        }
    }

    private long readLe(long address, int length) {
        check(address, length);
        long v = 0;
        for (int i = length - 1; i >= 0; i--) {
            v = (v << 8) | (bytes.getOrDefault(address + i, (byte) 0) & 0xFF);
        }
        return v;
    }

    private void writeLe(long address, int length, long value) {
        check(address, length);
        for (int i = 0; i < length; i++) {
            bytes.put(address + i, (byte) (value >>> (8 * i)));
        }
    }

    @Override
    public synchronized byte read8(long address) {
        return (byte) readLe(address, 1);
    }

    @Override
    public synchronized short read16(long address) {
        return (short) readLe(address, 2);
    }

    @Override
    public synchronized int read32(long address) {
        return (int) readLe(address, 4);
    }

    @Override
    public synchronized long read64(long address) {
        return readLe(address, 8);
    }

    @Override
    public synchronized void write8(long address, byte value) {
        writeLe(address, 1, value);
    }

    @Override
    public synchronized void write16(long address, short value) {
        writeLe(address, 2, value);
    }

    @Override
    public synchronized void write32(long address, int value) {
        writeLe(address, 4, value);
    }

    @Override
    public synchronized void write64(long address, long value) {
        writeLe(address, 8, value);
    }

    @Override
    public synchronized boolean compareAndSet64(long address, long expected, long value) {
        if (readLe(address, 8) != expected) {
            return false;
        }
        writeLe(address, 8, value);
        return true;
    }

    @Override
    public synchronized void read(long address, byte[] dst, int offset, int length) {
        check(address, length);
        for (int i = 0; i < length; i++) {
            dst[offset + i] = bytes.getOrDefault(address + i, (byte) 0);
        }
    }

    @Override
    public synchronized void write(long address, byte[] src, int offset, int length) {
        check(address, length);
        for (int i = 0; i < length; i++) {
            bytes.put(address + i, src[offset + i]);
        }
    }
}
