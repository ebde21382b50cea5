package io.nestor.driver.smmuv3;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import java.util.HashMap;
import java.util.Map;

/**
 * Test fixture: sparse little-endian physical memory backed by a map of bytes. Unwritten bytes read
 * as zero; any access reaching {@code 1 << addressBits} throws {@code EFAULT}, as the
 * {@link PhysicalMemory} contract says, so tests can provoke fetch aborts. Not thread-safe (the
 * decode tests are single-threaded).
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

    private long get(long address, int width) {
        check(address, width);
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = (v << 8) | (bytes.getOrDefault(address + i, (byte) 0) & 0xFF);
        }
        return v;
    }

    private void put(long address, int width, long value) {
        check(address, width);
        for (int i = 0; i < width; i++) {
            bytes.put(address + i, (byte) (value >>> (8 * i)));
        }
    }

    private void check(long address, int width) {
        if (address < 0 || address + width - 1 >>> addressBits != 0) {
            throw new IommuException(Errno.EFAULT, "physical address 0x" + Long.toHexString(address)
                    + " is beyond " + addressBits + " bits");
        }
    }

    @Override
    public byte read8(long address) {
        return (byte) get(address, 1);
    }

    @Override
    public short read16(long address) {
        return (short) get(address, 2);
    }

    @Override
    public int read32(long address) {
        return (int) get(address, 4);
    }

    @Override
    public long read64(long address) {
        return get(address, 8);
    }

    @Override
    public void write8(long address, byte value) {
        put(address, 1, value);
    }

    @Override
    public void write16(long address, short value) {
        put(address, 2, value);
    }

    @Override
    public void write32(long address, int value) {
        put(address, 4, value);
    }

    @Override
    public void write64(long address, long value) {
        put(address, 8, value);
    }

    @Override
    public boolean compareAndSet64(long address, long expected, long value) {
        if (get(address, 8) != expected) {
            return false;
        }
        put(address, 8, value);
        return true;
    }

    @Override
    public void read(long address, byte[] dst, int offset, int length) {
        for (int i = 0; i < length; i++) {
            dst[offset + i] = (byte) get(address + i, 1);
        }
    }

    @Override
    public void write(long address, byte[] src, int offset, int length) {
        for (int i = 0; i < length; i++) {
            put(address + i, 1, src[offset + i]);
        }
    }
}
