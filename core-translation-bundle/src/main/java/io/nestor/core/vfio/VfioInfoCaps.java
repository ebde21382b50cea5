package io.nestor.core.vfio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A VFIO capability chain being built ({@code struct vfio_info_cap}, {@code vfio_info_cap_add} and
 * {@code vfio_info_cap_shift} in {@code drivers/vfio/vfio_main.c}): capabilities appended one after
 * the other, each starting with {@code struct vfio_info_cap_header { u16 id; u16 version; u32 next;
 * }} in little-endian order.
 *
 * <p>Invariants: each capability occupies its size rounded up to 8 bytes, zero-filled, so the next
 * one is 8-byte aligned (the kernel aligns since 6.5, "vfio: align capability structures"); every
 * {@code next} is the offset of the following capability from the start of this buffer, and the
 * last one's is 0. {@link #shifted} adds the offset at which the chain will sit in the info buffer
 * to every non-zero {@code next}, as {@code vfio_info_cap_shift} does before the copy to the user.
 */
public final class VfioInfoCaps {
    /** {@code sizeof(struct vfio_info_cap_header)}. */
    public static final int HEADER_SIZE = 8;

    private byte[] buf = new byte[0];
    private int lastOffset = -1;

    /**
     * Appends a capability whose body (the bytes after the header) is {@code body}.
     *
     * @return the offset of its header in this buffer
     */
    public int add(int id, int version, byte[] body) {
        int size = HEADER_SIZE + body.length;
        int aligned = (size + 7) & ~7;
        int at = buf.length;
        buf = Arrays.copyOf(buf, at + aligned);
        ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(at, (short) id);
        b.putShort(at + 2, (short) version);
        b.putInt(at + 4, 0);
        System.arraycopy(body, 0, buf, at + HEADER_SIZE, body.length);
        if (lastOffset >= 0) {
            b.putInt(lastOffset + 4, at);
        }
        lastOffset = at;
        return at;
    }

    /** Bytes of the chain ({@code caps.size}). */
    public int size() {
        return buf.length;
    }

    /** The chain with every link moved by {@code offset}, ready to sit at {@code offset} in the info. */
    public byte[] shifted(int offset) {
        byte[] out = buf.clone();
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        if (out.length == 0) {
            return out;
        }
        int at = 0;
        while (true) {
            int next = b.getInt(at + 4);
            if (next == 0) {
                return out;
            }
            b.putInt(at + 4, next + offset);
            at = next;
        }
    }
}
