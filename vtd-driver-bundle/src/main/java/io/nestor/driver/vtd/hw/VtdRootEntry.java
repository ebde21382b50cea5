package io.nestor.driver.vtd.hw;

/**
 * A scalable-mode root entry (VT-d spec 9.2; Nestor {@code hw-formats.md} 1.2): 16 bytes, one per bus,
 * 256 per 4 KiB root table. The low qword holds LP (bit 0) and the lower context-table pointer
 * (bits 63:12, devfn 0x00-0x7F); the high qword holds UP (bit 64) and the upper context-table pointer
 * (bits 127:76, devfn 0x80-0xFF). Bits 11:1 and 75:65 are reserved, as are pointer bits at or above
 * the host address width (QEMU {@code VTD_ROOT_ENTRY_RSVD}).
 *
 * @param low  bits 63:0
 * @param high bits 127:64
 */
public record VtdRootEntry(long low, long high) {

    /** Size of one root entry in bytes. */
    public static final int SIZE = 16;

    private static final long PRESENT = 1L;
    private static final long POINTER = ~0xFFFL;
    private static final long RESERVED_LOW_BITS = 0xFFEL;

    /** Whether the half covering {@code devfn} (LP below 0x80, UP from 0x80) is present. */
    public boolean present(int devfn) {
        return (half(devfn) & PRESENT) != 0;
    }

    /** The context-table pointer of the half covering {@code devfn}. */
    public long contextTablePointer(int devfn) {
        return half(devfn) & POINTER;
    }

    /** Whether the half covering {@code devfn} has a reserved bit set for a {@code haw}-bit host. */
    public boolean reservedBitsSet(int devfn, int haw) {
        long h = half(devfn);
        return (h & RESERVED_LOW_BITS) != 0 || (h & POINTER & ~((1L << haw) - 1)) != 0;
    }

    private long half(int devfn) {
        return (devfn & 0x80) == 0 ? low : high;
    }
}
