package io.nestor.api.memory;

/**
 * Host physical memory as the emulated IOMMU sees it: byte-addressed, little-endian, with atomic
 * 64-bit compare-and-set for hardware accessed / dirty updates.
 *
 * <p>Unwritten memory reads as zero. An access outside the implemented physical address range
 * throws {@link io.nestor.api.error.IommuException} with {@code EFAULT}; the walker turns that into
 * an external-abort fault, as a bus error would be.
 *
 * <p>Implementations are thread-safe. A 64-bit access at an 8-byte-aligned address is single-copy
 * atomic: a concurrent reader sees either the old or the new value, never a mix, which is what lets
 * a page-table walker race with a builder.
 */
public interface PhysicalMemory {

    /** Number of address bits implemented; addresses at or above {@code 1L << addressBits()} fault. */
    int addressBits();

    byte read8(long address);

    short read16(long address);

    int read32(long address);

    long read64(long address);

    void write8(long address, byte value);

    void write16(long address, short value);

    void write32(long address, int value);

    void write64(long address, long value);

    /**
     * Atomically replaces the 64-bit value at an 8-byte-aligned address if it still equals
     * {@code expected}.
     *
     * @return whether the value was replaced
     */
    boolean compareAndSet64(long address, long expected, long value);

    /** Copies {@code length} bytes starting at {@code address} into {@code dst[offset..]}. */
    void read(long address, byte[] dst, int offset, int length);

    /** Copies {@code length} bytes from {@code src[offset..]} to memory starting at {@code address}. */
    void write(long address, byte[] src, int offset, int length);
}
