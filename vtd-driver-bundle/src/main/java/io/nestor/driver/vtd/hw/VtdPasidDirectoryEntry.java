package io.nestor.driver.vtd.hw;

/**
 * A scalable-mode PASID-directory entry (VT-d spec 9.5; Nestor {@code hw-formats.md} 1.4): 8 bytes,
 * indexed by PASID bits 19:6. P 0, FPD 1, reserved 11:2, SMPTBLPTR 63:12 (a 4 KiB PASID table of
 * 64 entries). Linux {@code drivers/iommu/intel/pasid.h} {@code PASID_PTE_PRESENT},
 * {@code PASID_PTE_MASK}.
 *
 * @param value the raw qword
 */
public record VtdPasidDirectoryEntry(long value) {

    public static final int SIZE = 8;

    public boolean present() {
        return (value & 1) != 0;
    }

    public boolean faultProcessingDisable() {
        return (value & 2) != 0;
    }

    public long pasidTablePointer() {
        return value & ~0xFFFL;
    }

    /** Bits 11:2, or table-pointer bits at or above {@code haw}. */
    public boolean reservedBitsSet(int haw) {
        return (value & 0xFFCL) != 0 || (pasidTablePointer() & ~((1L << haw) - 1)) != 0;
    }
}
