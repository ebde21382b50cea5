package io.nestor.testkit;

import io.nestor.api.driver.RegisterFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Test fixture: a little-endian register file backed by a byte array, enforcing the alignment rules
 * of the {@link RegisterFile} contract so that a misaligned driver access fails the test.
 */
public final class ArrayRegisterFile implements RegisterFile {

    private final ByteBuffer bytes;

    public ArrayRegisterFile(int size) {
        this.bytes = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public int size() {
        return bytes.capacity();
    }

    @Override
    public int read32(int offset) {
        check(offset, 4);
        return bytes.getInt(offset);
    }

    @Override
    public long read64(int offset) {
        check(offset, 8);
        return bytes.getLong(offset);
    }

    @Override
    public void write32(int offset, int value) {
        check(offset, 4);
        bytes.putInt(offset, value);
    }

    @Override
    public void write64(int offset, long value) {
        check(offset, 8);
        bytes.putLong(offset, value);
    }

    private void check(int offset, int width) {
        if (offset < 0 || offset % width != 0 || offset + width > bytes.capacity()) {
            throw new IllegalArgumentException("bad " + width * 8 + "-bit register access at 0x"
                    + Integer.toHexString(offset));
        }
    }
}
