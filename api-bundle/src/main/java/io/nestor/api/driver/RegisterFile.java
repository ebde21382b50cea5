package io.nestor.api.driver;

/**
 * A unit's MMIO register space, owned by the core and handed to the driver. Offsets are byte
 * offsets as in the specifications (VT-d CAP at 0x08, SMMUv3 IDR0 at 0x00, SMMUv3 page 1 at
 * 0x10000). 32-bit accesses must be 4-byte aligned and 64-bit accesses 8-byte aligned.
 */
public interface RegisterFile {

    /** Size of the register space in bytes. */
    int size();

    int read32(int offset);

    long read64(int offset);

    void write32(int offset, int value);

    void write64(int offset, long value);
}
