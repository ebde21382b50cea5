package io.nestor.driver.vtd.hw.format;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;

/**
 * The VT-d first-stage page-table format: x86-64 IA-32e paging with 4 levels (48-bit input) or
 * 5 levels (57-bit input), as selected by the PASID entry's FSPM field.
 *
 * <p>Entry bits (VT-d spec 9.7, Nestor {@code hw-formats.md} section 1.5; positions checked against
 * Linux {@code drivers/iommu/intel/iommu.h}: {@code DMA_FL_PTE_PRESENT} bit 0, {@code DMA_FL_PTE_US}
 * bit 2, {@code DMA_FL_PTE_ACCESS} bit 5, {@code DMA_FL_PTE_DIRTY} bit 6, {@code DMA_FL_PTE_XD}
 * bit 63, {@code DMA_PTE_WRITE} bit 1, {@code DMA_PTE_LARGE_PAGE} bit 7): P 0, R/W 1, U/S 2, A 5,
 * D 6 (leaf), PS 7 (PDE: 2 MiB, PDPTE: 1 GiB when the unit reports FL1GP), address 51:12, XD 63.
 * Bits 62:52 and 11:8 are ignored; PWT/PCD/PAT/G carry no translation meaning here.
 *
 * <p><b>Reserved bits</b> (QEMU {@code hw/i386/intel_iommu_internal.h} {@code VTD_FPTE_*_RSVD_MASK},
 * which ignore bits 63:52; fault 0x72 on hardware): address bits at or above the output width up to
 * bit 51, PS in a PML4E / PML5E, bits 20:13 of a 2 MiB leaf, bits 29:13 of a 1 GiB leaf; and PS in
 * a PDPTE without FL1GP (reserved per the Intel SDM, vol. 3, 4.5, when 1 GiB pages are absent). A present
 * entry with a reserved bit set decodes as {@link #KIND_INVALID}, so nothing is ever translated
 * through it; {@link #reservedBitsSet} lets the driver report 0x72 instead of 0x71 (not present).
 *
 * <p><b>Permissions</b>, per entry, intersected along the walk by the caller: a present entry grants
 * READ and PRIV; R/W=0 removes WRITE; U/S=0 removes USER and EXEC_USER; XD=1 removes both EXEC bits.
 * Modelling choices, because {@link Permission} cannot say "write allowed for privileged requests
 * only":
 * <ul>
 *   <li>WPE=0 (supervisor writes ignore R/W): an entry with R/W=0 <em>and</em> U/S=0 still grants
 *       WRITE. That is exact, since the same entry already denies every user request. An entry
 *       with R/W=0 and U/S=1 denies WRITE, so a supervisor write that hardware would let through
 *       (when U/S=0 is found at a different level) faults here: conservative, never more permissive
 *       than hardware.</li>
 *   <li>SRE is not modelled here: a supervisor request with SRE=0 is refused by the PASID-entry
 *       check (fault 0x5D) before any walk.</li>
 *   <li>XD is always honoured (execute requests need ERE in the PASID entry, checked there).</li>
 * </ul>
 *
 * <p><b>Accessed / dirty:</b> A is set on every entry used, D on leaves written; bit 10 (EA, only
 * with EAFE) is not modelled. Instances are immutable and allocate nothing after construction.
 */
public final class VtdFirstStageFormat implements PageTableFormat {

    static final long P = 1L;
    static final long RW = 1L << 1;
    static final long US = 1L << 2;
    static final long A = 1L << 5;
    static final long D = 1L << 6;
    static final long PS = 1L << 7;
    static final long XD = 1L << 63;
    /** Bits 51:12: the architectural address field before the output width is applied. */
    static final long ADDRESS_51_12 = ((1L << 52) - 1) & ~0xFFFL;

    private static final int GRANULE_SHIFT = 12;
    private static final int INDEX_BITS = 9;

    private final int levels;
    private final int inputBits;
    private final int outputBits;
    private final boolean oneGigPages;
    private final boolean writeProtectEnable;
    /** Address bits below the output width (51:12 masked to it). */
    private final long addressMask;
    /** Address-field bits at or above the output width: reserved. */
    private final long reservedAddressBits;
    private final String name;

    /**
     * @param fiveLevel         5-level paging (57-bit input, needs CAP.FL5LP); otherwise 4-level
     * @param outputAddressBits width of the output (guest-physical or host-physical) address, 13..52
     * @param oneGigPages       the unit reports CAP.FL1GP: PS=1 in a PDPTE makes a 1 GiB page
     * @param writeProtectEnable the PASID entry's WPE bit (see the class comment for how WPE=0 is modelled)
     */
    public VtdFirstStageFormat(boolean fiveLevel, int outputAddressBits, boolean oneGigPages,
            boolean writeProtectEnable) {
        if (outputAddressBits <= GRANULE_SHIFT || outputAddressBits > 52) {
            throw new IllegalArgumentException("first-stage output address width " + outputAddressBits
                    + " outside 13..52");
        }
        this.levels = fiveLevel ? 5 : 4;
        this.inputBits = fiveLevel ? 57 : 48;
        this.outputBits = outputAddressBits;
        this.oneGigPages = oneGigPages;
        this.writeProtectEnable = writeProtectEnable;
        this.addressMask = ADDRESS_51_12 & ((1L << outputAddressBits) - 1);
        this.reservedAddressBits = ADDRESS_51_12 & ~addressMask;
        this.name = fiveLevel ? "vtd-fs-5level" : "vtd-fs-4level";
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

    /** Whether the unit's FL1GP was given: 1 GiB leaves allowed at level 2. */
    public boolean oneGigPages() {
        return oneGigPages;
    }

    /** The WPE setting this format decodes with. */
    public boolean writeProtectEnable() {
        return writeProtectEnable;
    }

    @Override
    public boolean leafAllowed(int level) {
        return level == 0 || level == 1 || (level == 2 && oneGigPages);
    }

    /**
     * The canonical-address rule (Intel SDM vol. 3, 4.5): bits 63 down to the input width must all
     * equal the top input bit (47 for 4-level, 56 for 5-level).
     */
    @Override
    public boolean inputAddressValid(long address) {
        int unused = 64 - inputBits;
        return (address << unused) >> unused == address;
    }

    @Override
    public int kind(long descriptor, int level) {
        if ((descriptor & P) == 0 || reservedBitsSet(descriptor, level)) {
            return KIND_INVALID;
        }
        return level == 0 || (descriptor & PS) != 0 ? KIND_LEAF : KIND_TABLE;
    }

    /**
     * Whether a present entry at {@code level} has a bit set that is reserved in this configuration
     * (fault 0x72 on hardware). Meaningless for a not-present entry.
     */
    public boolean reservedBitsSet(long descriptor, int level) {
        if ((descriptor & reservedAddressBits) != 0) {
            return true;
        }
        if (level == 0 || (descriptor & PS) == 0) {
            return false; // bit 7 is PAT in a PTE; non-leaf entries have no alignment rule
        }
        if (!leafAllowed(level)) {
            return true; // PS in a PML4E / PML5E, or in a PDPTE without FL1GP
        }
        // Bit 12 is PAT in a large leaf; the bits from 13 up to the page size are reserved.
        long alignment = ((1L << levelShift(level)) - 1) & ~0x1FFFL;
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
        int p = Permission.ALL;
        boolean readOnly = (descriptor & RW) == 0;
        boolean supervisorOnly = (descriptor & US) == 0;
        if (readOnly && (writeProtectEnable || !supervisorOnly)) {
            p &= ~Permission.WRITE;
        }
        if (supervisorOnly) {
            p &= ~(Permission.USER | Permission.EXEC_USER);
        }
        if ((descriptor & XD) != 0) {
            p &= ~(Permission.EXEC_PRIV | Permission.EXEC_USER);
        }
        return p;
    }

    @Override
    public boolean accessed(long descriptor) {
        return (descriptor & A) != 0;
    }

    @Override
    public boolean dirty(long descriptor) {
        return (descriptor & D) != 0;
    }

    @Override
    public long withAccessed(long descriptor) {
        return descriptor | A;
    }

    @Override
    public long withDirty(long descriptor) {
        return descriptor | D;
    }

    @Override
    public long encodeTable(long tableAddress, int level) {
        if (level <= 0 || level >= levels) {
            throw new IllegalArgumentException("no first-stage table entry at level " + level);
        }
        checkAddress(tableAddress, GRANULE_SHIFT, "table");
        return tableAddress | P | RW | US;
    }

    /**
     * A leaf granting at most {@code permissions}, plus READ and PRIV, which every present entry
     * grants. Bits x86 cannot express are dropped rather than widened: EXEC_USER needs USER;
     * XD is cleared only when EXEC_PRIV is asked and, on a user page, EXEC_USER too. The single
     * widening is WPE=0, where hardware itself lets supervisor writes through a supervisor-only page.
     */
    @Override
    public long encodeLeaf(long outputAddress, int level, int permissions) {
        if (level < 0 || level >= levels || !leafAllowed(level)) {
            throw new IllegalArgumentException("no first-stage leaf at level " + level
                    + (level == 2 ? " without FL1GP" : ""));
        }
        checkAddress(outputAddress, levelShift(level), "leaf");
        long d = outputAddress | P | (level > 0 ? PS : 0);
        boolean user = (permissions & Permission.USER) != 0;
        if ((permissions & Permission.WRITE) != 0) {
            d |= RW;
        }
        if (user) {
            d |= US;
        }
        boolean exec = (permissions & Permission.EXEC_PRIV) != 0
                && (!user || (permissions & Permission.EXEC_USER) != 0);
        if (!exec) {
            d |= XD;
        }
        return d;
    }

    private void checkAddress(long address, int alignShift, String what) {
        if ((address & ~addressMask) != 0 || (address & ((1L << alignShift) - 1)) != 0) {
            throw new IllegalArgumentException(String.format(
                    "first-stage %s address 0x%x not %d-bit aligned below 2^%d", what, address,
                    alignShift, outputBits));
        }
    }
}
