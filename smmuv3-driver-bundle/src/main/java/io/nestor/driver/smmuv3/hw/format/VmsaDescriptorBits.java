package io.nestor.driver.smmuv3.hw.format;

/**
 * Bit positions shared by VMSAv8-64 stage-1 and stage-2 descriptors (hw-formats.md §2.4; Linux
 * drivers/iommu/io-pgtable-arm.c {@code ARM_LPAE_PTE_*}; QEMU hw/arm/smmu-internal.h), and the
 * descriptor-type rule common to both stages.
 *
 * <p>Bits 1:0: {@code x0} invalid; {@code 01} block above the last level, reserved (treated as
 * invalid) at the last level; {@code 11} table above the last level, page at the last level. Output
 * addresses occupy bits 47:n (48-bit OA; the 52-bit encodings in bits 15:12 or 9:8 are not
 * implemented, so those bits are ignored as QEMU's {@code PTE_ADDRESS} ignores them).
 */
final class VmsaDescriptorBits {
    static final long VALID = 1L;
    static final long TYPE_TABLE_OR_PAGE = 1L << 1;
    /** Stage 1 AP[1], stage 2 S2AP[0] (read). */
    static final long BIT6 = 1L << 6;
    /** Stage 1 AP[2] (read-only), stage 2 S2AP[1] (write). */
    static final long BIT7 = 1L << 7;
    static final long SH_INNER = 3L << 8;
    static final long AF = 1L << 10;
    /** HTTU dirty-bit modifier (Linux {@code ARM_LPAE_PTE_DBM}). */
    static final long DBM = 1L << 51;
    /** Stage 1 PXN, stage 2 XN[0] (FEAT_XNX). */
    static final long BIT53 = 1L << 53;
    /** Stage 1 UXN/XN, stage 2 XN[1]. */
    static final long BIT54 = 1L << 54;

    /** Top of the output address field: bit 47. */
    static final int ADDRESS_TOP = 48;

    private VmsaDescriptorBits() {
    }

    /** Bits 47:shift of a descriptor as an address. */
    static long address(long descriptor, int shift) {
        return descriptor & ((1L << ADDRESS_TOP) - 1) & -(1L << shift);
    }

    /** The type rule of bits 1:0 at {@code level} (Nestor numbering, 0 = VMSA level 3). */
    static int kind(long descriptor, int level, VmsaGeometry geometry) {
        if ((descriptor & VALID) == 0) {
            return io.nestor.api.pagetable.PageTableFormat.KIND_INVALID;
        }
        if ((descriptor & TYPE_TABLE_OR_PAGE) != 0) {
            return level == 0 ? io.nestor.api.pagetable.PageTableFormat.KIND_LEAF
                    : io.nestor.api.pagetable.PageTableFormat.KIND_TABLE;
        }
        // 01: a block where the granule allows one; reserved at the last level and invalid where no
        // block size exists (e.g. 4 KiB VMSA level 0): both give a translation fault.
        return level != 0 && geometry.leafAllowed(level) ? io.nestor.api.pagetable.PageTableFormat.KIND_LEAF
                : io.nestor.api.pagetable.PageTableFormat.KIND_INVALID;
    }

    /** The type bits and output address of a leaf at {@code level}; IllegalArgumentException where none may sit. */
    static long leafBase(long outputAddress, int level, VmsaGeometry geometry) {
        if (!geometry.leafAllowed(level)) {
            throw new IllegalArgumentException("no page or block at level " + level + " of " + geometry);
        }
        long type = level == 0 ? VALID | TYPE_TABLE_OR_PAGE : VALID;
        return address(outputAddress, geometry.levelShift(level)) | type | AF | SH_INNER;
    }

    static long table(long tableAddress, VmsaGeometry geometry) {
        return address(tableAddress, geometry.granule().shift()) | VALID | TYPE_TABLE_OR_PAGE;
    }

    static int checkOutputBits(int outputBits) {
        if (outputBits < 32 || outputBits > ADDRESS_TOP) {
            throw new IllegalArgumentException("output address size " + outputBits + " bits is outside 32..48");
        }
        return outputBits;
    }
}
