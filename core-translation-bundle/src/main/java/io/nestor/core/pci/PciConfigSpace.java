package io.nestor.core.pci;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;

/**
 * One PCI Express function's 4 KiB configuration space, little-endian, with per-bit write
 * behaviour, accessed the way vfio-pci's config region is ({@code drivers/vfio/pci/vfio_pci_config.c}).
 *
 * <p>Access rules of {@code vfio_config_do_rw} / {@code vfio_pci_config_rw}:
 * <ul>
 * <li>any offset and length inside the 4 KiB is accepted, aligned or not: the access is cut into
 *     naturally aligned pieces (a dword at a dword boundary, else a word at a word boundary, else a
 *     byte), each applied in turn;</li>
 * <li>an access that starts below 0, at or past the end, or runs past the end fails with
 *     {@code EFAULT} as a whole before any piece is applied (the length left is checked against the
 *     size before the first piece);</li>
 * <li>space outside every capability reads as zero and ignores writes — a real function's
 *     reserved space (vfio passes those bytes through to such hardware).</li>
 * </ul>
 *
 * <p>Write behaviour per bit, as the specifications define the registers and as QEMU models them
 * ({@code wmask} / {@code w1cmask}): a bit is read-only (writes ignored), read-write (takes the
 * written value) or RW1C (a written 1 clears it, a 0 leaves it). Registers with side effects
 * (PRI's Reset and Stopped) add a {@link WriteHook}.
 *
 * <p>Thread-safe: every access holds the instance's lock, so a read never sees half of a write and
 * hooks run atomically with the write that triggered them.
 */
public final class PciConfigSpace {

    public static final int SIZE = PciRegs.PCI_CFG_SPACE_EXP_SIZE;

    /** A side effect of writing a register: runs after each written piece that overlaps it. */
    interface WriteHook {
        /** Whether the piece {@code [offset, offset + length)} touches the hooked register. */
        boolean covers(int offset, int length);

        /** Runs with the space's lock held; may use the {@code init*} methods. */
        void afterWrite(PciConfigSpace space, int offset, int length, int value);
    }

    private final byte[] bytes = new byte[SIZE];
    private final byte[] writable = new byte[SIZE];
    private final byte[] writeOneToClear = new byte[SIZE];
    private final List<WriteHook> hooks = new ArrayList<>();

    PciConfigSpace() {
    }

    /** Reads {@code length} bytes at {@code offset}, as a read of vfio-pci's config region. */
    public synchronized byte[] readBytes(long offset, int length) {
        check(offset, length);
        byte[] out = new byte[length];
        if (length == 0) {
            return out; // check lets a zero count through at any offset, where arraycopy would throw
        }
        System.arraycopy(bytes, (int) offset, out, 0, length);
        return out;
    }

    /**
     * Writes {@code data} at {@code offset}, as a write to vfio-pci's config region: piece by piece,
     * each byte keeping its read-only bits, taking its read-write bits and clearing the RW1C bits
     * written as 1.
     */
    public synchronized void writeBytes(long offset, byte[] data) {
        check(offset, data.length);
        int pos = (int) offset;
        int left = data.length;
        int index = 0;
        while (left > 0) {
            int piece = pieceLength(pos, left);
            int value = 0;
            for (int i = 0; i < piece; i++) {
                int at = pos + i;
                int b = data[index + i] & 0xff;
                int old = bytes[at] & 0xff;
                int rw = writable[at] & 0xff;
                int w1c = writeOneToClear[at] & 0xff;
                int updated = (old & ~rw) | (b & rw);
                updated &= ~(b & w1c);
                bytes[at] = (byte) updated;
                value |= b << (8 * i);
            }
            for (WriteHook h : hooks) {
                if (h.covers(pos, piece)) {
                    h.afterWrite(this, pos, piece, value);
                }
            }
            pos += piece;
            index += piece;
            left -= piece;
        }
    }

    /** Reads a little-endian value of 1, 2 or 4 bytes; same bounds rule as {@link #readBytes}. */
    public int read(int offset, Width width) {
        byte[] b = readBytes(offset, width.bytes);
        int v = 0;
        for (int i = 0; i < b.length; i++) {
            v |= (b[i] & 0xff) << (8 * i);
        }
        return v;
    }

    /** Writes a little-endian value of 1, 2 or 4 bytes; same rules as {@link #writeBytes}. */
    public void write(int offset, Width width, int value) {
        byte[] b = new byte[width.bytes];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        writeBytes(offset, b);
    }

    /** An access width of the config region. */
    public enum Width {
        BYTE(1), WORD(2), DWORD(4);

        final int bytes;

        Width(int bytes) {
            this.bytes = bytes;
        }
    }

    // ---- construction and device-side updates (package-private) ----

    /** Sets a register's value as the device does, bypassing the write masks. */
    synchronized void init(int offset, int length, int value) {
        for (int i = 0; i < length; i++) {
            bytes[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    /** The current value of a register, for the device side. */
    synchronized int value(int offset, int length) {
        int v = 0;
        for (int i = 0; i < length; i++) {
            v |= (bytes[offset + i] & 0xff) << (8 * i);
        }
        return v;
    }

    /** Sets or clears bits of a register as the device does (status bits the hardware reports). */
    synchronized void update(int offset, int length, int setBits, int clearBits) {
        init(offset, length, (value(offset, length) & ~clearBits) | setBits);
    }

    /** Marks bits of a register read-write. */
    void writableBits(int offset, int length, int mask) {
        or(writable, offset, length, mask);
    }

    /** Marks bits of a register write-1-to-clear. */
    void writeOneToClearBits(int offset, int length, int mask) {
        or(writeOneToClear, offset, length, mask);
    }

    void addHook(WriteHook hook) {
        hooks.add(hook);
    }

    private static void or(byte[] mask, int offset, int length, int bits) {
        for (int i = 0; i < length; i++) {
            mask[offset + i] |= (byte) (bits >>> (8 * i));
        }
    }

    /** vfio_config_do_rw: the largest naturally aligned piece, at most a dword. */
    private static int pieceLength(int pos, int left) {
        if (left >= 4 && pos % 4 == 0) {
            return 4;
        }
        if (left >= 2 && pos % 2 == 0) {
            return 2;
        }
        return 1;
    }

    private static void check(long offset, int length) {
        if (length < 0) {
            throw IommuException.of(Errno.EINVAL, "config access length %d is negative", length);
        }
        if (length == 0) {
            return; // vfio_pci_config_rw's loop does nothing for a zero count
        }
        if (offset < 0 || offset >= SIZE || offset + length > SIZE) {
            throw IommuException.of(Errno.EFAULT, "config access of %d bytes at offset 0x%x is outside the %d-byte"
                    + " config space", length, offset, SIZE);
        }
    }
}
