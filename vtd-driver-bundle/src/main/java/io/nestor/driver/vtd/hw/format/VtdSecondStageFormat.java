package io.nestor.driver.vtd.hw.format;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;

/**
 * The VT-d second-stage page-table format: 3, 4 or 5 levels for a 39-, 48- or 57-bit input
 * (adjusted guest address width, the AW field of the context / PASID entry).
 *
 * <p>Entry bits (VT-d spec 9.8, Nestor {@code hw-formats.md} section 1.6; positions checked against
 * Linux {@code drivers/iommu/intel/iommu.h}: {@code DMA_PTE_READ} bit 0, {@code DMA_PTE_WRITE} bit 1,
 * {@code DMA_PTE_LARGE_PAGE} bit 7, {@code DMA_SL_PTE_DIRTY_BIT} 9, {@code DMA_PTE_SNP} bit 11):
 * R 0, W 1, X 2, EMT 5:3, IPAT 6, PS 7 (PDE: 2 MiB, PDPE: 1 GiB, each only when CAP.SLLPS reports
 * it), A 8 and D 9 (only with SSADE; ignored otherwise), SNP 11 (leaf), address 51:12, TM 62.
 *
 * <p><b>Present</b> means R or W set; there is no P bit and X alone does not make an entry present
 * ({@code hw-formats.md} section 1.6; QEMU's second-stage present test looks at R|W only).
 *
 * <p><b>Reserved bits</b> modelled (QEMU second-stage reserved masks, fault 0x7A in scalable mode):
 * address bits at or above the output width up to 51; PS in an SL-PML4E / SL-PML5E and wherever
 * SLLPS does not allow a leaf; bit 11 in every non-leaf entry; bits 20:12 of a 2 MiB leaf and 29:12
 * of a 1 GiB leaf; TM (bit 62), since no stale-TM mode is modelled. Bits 63 and 61:52 are ignored
 * ({@code VTD_SL_IGN_COM}). SNP is valid in scalable-mode leaves (QEMU drops it from the leaf masks
 * in scalable mode). A present entry with a reserved bit decodes as {@link #KIND_INVALID};
 * {@link #reservedBitsSet} tells the driver to report 0x7A rather than not-present.
 *
 * <p><b>Permissions:</b> R gives READ, W gives WRITE, intersected along the walk by the caller.
 * There is no privilege notion, so PRIV and USER are always granted. X controls both EXEC bits
 * only when execute control is enabled (ECAP.ERS with SSEE); otherwise X is ignored and execution
 * is not restricted by this stage.
 *
 * <p>Instances are immutable and allocate nothing after construction.
 */
public final class VtdSecondStageFormat implements PageTableFormat {

    static final long R = 1L;
    static final long W = 1L << 1;
    static final long X = 1L << 2;
    static final long PS = 1L << 7;
    static final long A = 1L << 8;
    static final long D = 1L << 9;
    static final long SNP = 1L << 11;
    static final long TM = 1L << 62;
    static final long ADDRESS_51_12 = ((1L << 52) - 1) & ~0xFFFL;

    private static final int GRANULE_SHIFT = 12;
    private static final int INDEX_BITS = 9;

    private final int levels;
    private final int inputBits;
    private final int outputBits;
    private final boolean twoMegPages;
    private final boolean oneGigPages;
    private final boolean accessedDirty;
    private final boolean executeControl;
    private final long addressMask;
    private final long reservedAddressBits;
    private final String name;

    /**
     * @param inputAddressBits  39, 48 or 57 (3, 4 or 5 levels)
     * @param outputAddressBits host address width, 13..52
     * @param twoMegPages       CAP.SLLPS bit 0: 2 MiB leaves at level 1
     * @param oneGigPages       CAP.SLLPS bit 1: 1 GiB leaves at level 2
     * @param accessedDirty     SSADE in the PASID entry: A/D bits 8/9 are used
     * @param executeControl    execute requests honour X (ECAP.ERS with SSEE); otherwise X is ignored
     */
    public VtdSecondStageFormat(int inputAddressBits, int outputAddressBits, boolean twoMegPages,
            boolean oneGigPages, boolean accessedDirty, boolean executeControl) {
        this.levels = levelsForWidth(inputAddressBits);
        if (outputAddressBits <= GRANULE_SHIFT || outputAddressBits > 52) {
            throw new IllegalArgumentException("second-stage output address width " + outputAddressBits
                    + " outside 13..52");
        }
        this.inputBits = inputAddressBits;
        this.outputBits = outputAddressBits;
        this.twoMegPages = twoMegPages;
        this.oneGigPages = oneGigPages;
        this.accessedDirty = accessedDirty;
        this.executeControl = executeControl;
        this.addressMask = ADDRESS_51_12 & ((1L << outputAddressBits) - 1);
        this.reservedAddressBits = ADDRESS_51_12 & ~addressMask;
        this.name = "vtd-ss-" + levels + "level";
    }

    /** Levels walked for an adjusted guest address width: 39 → 3, 48 → 4, 57 → 5. */
    public static int levelsForWidth(int inputAddressBits) {
        switch (inputAddressBits) {
            case 39:
                return 3;
            case 48:
                return 4;
            case 57:
                return 5;
            default:
                throw new IllegalArgumentException("second-stage address width " + inputAddressBits
                        + " is not 39, 48 or 57");
        }
    }

    /**
     * The address width selected by a context / PASID entry AW field (VT-d spec 9.4 / 9.6:
     * 1 = 39-bit 3-level, 2 = 48-bit 4-level, 3 = 57-bit 5-level), matching CAP.SAGAW bit {@code aw}.
     */
    public static int widthForAwField(int aw) {
        switch (aw) {
            case 1:
                return 39;
            case 2:
                return 48;
            case 3:
                return 57;
            default:
                throw new IllegalArgumentException("second-stage AW field " + aw + " is reserved");
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int granuleShift() {
        return GRANULE_SHIFT;
    }

    @Override
    public int levels() {
        return levels;
    }

    @Override
    public int indexBits(int level) {
        return INDEX_BITS;
    }

    @Override
    public int levelShift(int level) {
        return GRANULE_SHIFT + INDEX_BITS * level;
    }

    @Override
    public int rootTableCount() {
        return 1;
    }

    @Override
    public int inputAddressBits() {
        return inputBits;
    }

    @Override
    public int outputAddressBits() {
        return outputBits;
    }

    /** Whether SSADE was given: A/D bits are tracked. */
    public boolean accessedDirtyEnabled() {
        return accessedDirty;
    }

    @Override
    public boolean leafAllowed(int level) {
        return level == 0 || (level == 1 && twoMegPages) || (level == 2 && oneGigPages);
    }

    @Override
    public int kind(long descriptor, int level) {
        if ((descriptor & (R | W)) == 0 || reservedBitsSet(descriptor, level)) {
            return KIND_INVALID;
        }
        return level == 0 || (descriptor & PS) != 0 ? KIND_LEAF : KIND_TABLE;
    }

    /**
     * Whether a present entry at {@code level} has a bit set that is reserved in this configuration
     * (fault 0x7A in scalable mode). Meaningless for a not-present entry.
     */
    public boolean reservedBitsSet(long descriptor, int level) {
        if ((descriptor & (reservedAddressBits | TM)) != 0) {
            return true;
        }
        boolean leafShaped = level == 0 || (descriptor & PS) != 0;
        if (!leafShaped) {
            // SNP is a leaf attribute; QEMU keeps bit 11 in its non-leaf reserved masks.
            return (descriptor & SNP) != 0;
        }
        if (level == 0) {
            return false; // bit 7 has no PS meaning in a PTE (QEMU does not reserve it there)
        }
        if (!leafAllowed(level)) {
            return true;
        }
        long alignment = ((1L << levelShift(level)) - 1) & ~0xFFFL;
        return (descriptor & alignment) != 0;
    }

    @Override
    public long tableAddress(long descriptor, int level) {
        return descriptor & addressMask;
    }

    @Override
    public long leafAddress(long descriptor, int level) {
        return descriptor & addressMask & -(1L << levelShift(level));
    }

    @Override
    public int permissions(long descriptor, int level) {
        int p = Permission.PRIV | Permission.USER;
        if ((descriptor & R) != 0) {
            p |= Permission.READ;
        }
        if ((descriptor & W) != 0) {
            p |= Permission.WRITE;
        }
        if (!executeControl || (descriptor & X) != 0) {
            p |= Permission.EXEC_PRIV | Permission.EXEC_USER;
        }
        return p;
    }

    @Override
    public boolean accessed(long descriptor) {
        return !accessedDirty || (descriptor & A) != 0;
    }

    @Override
    public boolean dirty(long descriptor) {
        return accessedDirty && (descriptor & D) != 0;
    }

    @Override
    public long withAccessed(long descriptor) {
        return accessedDirty ? descriptor | A : descriptor;
    }

    @Override
    public long withDirty(long descriptor) {
        return accessedDirty ? descriptor | D : descriptor;
    }

    @Override
    public long encodeTable(long tableAddress, int level) {
        if (level <= 0 || level >= levels) {
            throw new IllegalArgumentException("no second-stage table entry at level " + level);
        }
        checkAddress(tableAddress, GRANULE_SHIFT, "table");
        return tableAddress | R | W | (executeControl ? X : 0);
    }

    /**
     * A leaf granting {@code permissions}' READ and WRITE (and EXEC, as X, under execute control).
     * A leaf with neither READ nor WRITE would not be present, so it is refused.
     */
    @Override
    public long encodeLeaf(long outputAddress, int level, int permissions) {
        if (level < 0 || level >= levels || !leafAllowed(level)) {
            throw new IllegalArgumentException("no second-stage leaf at level " + level
                    + (level == 1 || level == 2 ? " without SLLPS support" : ""));
        }
        if ((permissions & (Permission.READ | Permission.WRITE)) == 0) {
            throw new IllegalArgumentException("second-stage leaf " + Permission.toString(permissions)
                    + " has neither READ nor WRITE: it would be not present");
        }
        checkAddress(outputAddress, levelShift(level), "leaf");
        long d = outputAddress | (level > 0 ? PS : 0);
        if ((permissions & Permission.READ) != 0) {
            d |= R;
        }
        if ((permissions & Permission.WRITE) != 0) {
            d |= W;
        }
        if (executeControl
                && (permissions & (Permission.EXEC_PRIV | Permission.EXEC_USER))
                        == (Permission.EXEC_PRIV | Permission.EXEC_USER)) {
            d |= X;
        }
        return d;
    }

    private void checkAddress(long address, int alignShift, String what) {
        if ((address & ~addressMask) != 0 || (address & ((1L << alignShift) - 1)) != 0) {
            throw new IllegalArgumentException(String.format(
                    "second-stage %s address 0x%x not %d-bit aligned below 2^%d", what, address,
                    alignShift, outputBits));
        }
    }
}
