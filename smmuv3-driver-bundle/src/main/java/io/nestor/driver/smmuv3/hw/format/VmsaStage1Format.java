package io.nestor.driver.smmuv3.hw.format;

import static io.nestor.driver.smmuv3.hw.format.VmsaDescriptorBits.AF;
import static io.nestor.driver.smmuv3.hw.format.VmsaDescriptorBits.BIT53;
import static io.nestor.driver.smmuv3.hw.format.VmsaDescriptorBits.BIT54;
import static io.nestor.driver.smmuv3.hw.format.VmsaDescriptorBits.BIT6;
import static io.nestor.driver.smmuv3.hw.format.VmsaDescriptorBits.BIT7;
import static io.nestor.driver.smmuv3.hw.format.VmsaDescriptorBits.DBM;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;

/**
 * VMSAv8-64 stage-1 descriptors (SMMUv3 context descriptor TTB0 walk), hw-formats.md §2.4.
 *
 * <p>Leaf permissions (Linux io-pgtable-arm.c {@code ARM_LPAE_PTE_AP_UNPRIV} = bit 6,
 * {@code ARM_LPAE_PTE_AP_RDONLY} = bit 7, {@code ARM_LPAE_PTE_XN} = bits 54:53):
 * <ul>
 * <li>every valid stage-1 leaf is readable and accessible to privileged requests (READ, PRIV);</li>
 * <li>AP[1] (bit 6) = 1 grants unprivileged (EL0) access (USER);</li>
 * <li>AP[2] (bit 7) = 0 grants WRITE; with hardware dirty management (CD.HD) a DBM (bit 51) leaf is
 *     writable whatever AP[2] says: AP[2] = 1 then means writable-clean, and the first write clears
 *     it (Linux {@code iopte_writeable_dirty}: (pte &amp; (AP_RDONLY | DBM)) == DBM);</li>
 * <li>PXN (bit 53) removes EXEC_PRIV, UXN (bit 54) removes EXEC_USER; a region writable at EL0 is
 *     always privileged-execute-never (Arm ARM, VMSAv8-64 instruction access permissions);</li>
 * <li>an unprivileged instruction fetch also needs USER, which the walker checks; EXEC_USER here
 *     only reflects UXN.</li>
 * </ul>
 * Table descriptors restrict everything below them unless CD.HAD disables hierarchical attributes:
 * APTable[0] (bit 61) removes USER, APTable[1] (bit 62) removes WRITE, UXNTable (bit 60) removes
 * EXEC_USER, PXNTable (bit 59) removes EXEC_PRIV.
 *
 * <p>Encoding: {@code encodeLeaf} cannot express "not readable" or "not privileged" (stage 1 has no
 * such state), so READ and PRIV are always granted; it sets AF and inner-shareable, AttrIndx 0.
 * With CD.HD a writable leaf is encoded writable-clean (DBM = 1, AP[2] = 1): a new mapping has not
 * been written yet.
 */
public final class VmsaStage1Format implements PageTableFormat {

    static final long PXN_TABLE = 1L << 59;
    static final long UXN_TABLE = 1L << 60;
    static final long AP_TABLE_NO_EL0 = 1L << 61;
    static final long AP_TABLE_NO_WRITE = 1L << 62;

    private final VmsaGeometry geometry;
    private final int outputBits;
    private final boolean hardwareDirty;
    private final boolean hierarchicalDisabled;
    private final String name;

    /**
     * @param outputBits the effective IPS (CD.IPS capped at the SMMU OAS), 32..48
     * @param hardwareDirty CD.HD: DBM leaves are writable and written through AP[2]
     * @param hierarchicalDisabled CD.HAD0: APTable / XNTable are ignored
     */
    public VmsaStage1Format(VmsaGeometry geometry, int outputBits, boolean hardwareDirty, boolean hierarchicalDisabled) {
        this.geometry = geometry;
        this.outputBits = VmsaDescriptorBits.checkOutputBits(outputBits);
        this.hardwareDirty = hardwareDirty;
        this.hierarchicalDisabled = hierarchicalDisabled;
        this.name = "vmsav8-s1-" + (1 << geometry.granule().shift() >> 10) + "k";
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int granuleShift() {
        return geometry.granule().shift();
    }

    @Override
    public int levels() {
        return geometry.levels();
    }

    @Override
    public int indexBits(int level) {
        return geometry.indexBits(level);
    }

    @Override
    public int levelShift(int level) {
        return geometry.levelShift(level);
    }

    @Override
    public int rootTableCount() {
        return 1;
    }

    @Override
    public int inputAddressBits() {
        return geometry.inputBits();
    }

    @Override
    public int outputAddressBits() {
        return outputBits;
    }

    @Override
    public boolean leafAllowed(int level) {
        return geometry.leafAllowed(level);
    }

    @Override
    public int kind(long descriptor, int level) {
        return VmsaDescriptorBits.kind(descriptor, level, geometry);
    }

    @Override
    public long tableAddress(long descriptor, int level) {
        return VmsaDescriptorBits.address(descriptor, geometry.granule().shift());
    }

    @Override
    public long leafAddress(long descriptor, int level) {
        return VmsaDescriptorBits.address(descriptor, geometry.levelShift(level));
    }

    @Override
    public int permissions(long d, int level) {
        if (level > 0 && kind(d, level) == KIND_TABLE) {
            return tablePermissions(d);
        }
        int p = Permission.READ | Permission.PRIV;
        boolean user = (d & BIT6) != 0;
        boolean writable = (d & BIT7) == 0 || hardwareDirty && (d & DBM) != 0;
        if (user) {
            p |= Permission.USER;
        }
        if (writable) {
            p |= Permission.WRITE;
        }
        if ((d & BIT53) == 0 && !(user && writable)) {
            p |= Permission.EXEC_PRIV;
        }
        if ((d & BIT54) == 0) {
            p |= Permission.EXEC_USER;
        }
        return p;
    }

    private int tablePermissions(long d) {
        int p = Permission.ALL;
        if (hierarchicalDisabled) {
            return p;
        }
        if ((d & AP_TABLE_NO_EL0) != 0) {
            p &= ~Permission.USER;
        }
        if ((d & AP_TABLE_NO_WRITE) != 0) {
            p &= ~Permission.WRITE;
        }
        if ((d & UXN_TABLE) != 0) {
            p &= ~Permission.EXEC_USER;
        }
        if ((d & PXN_TABLE) != 0) {
            p &= ~Permission.EXEC_PRIV;
        }
        return p;
    }

    @Override
    public boolean accessed(long descriptor) {
        return (descriptor & AF) != 0;
    }

    /** Table descriptors have no AF (bit 10 is ignored there), so hardware never sets one. */
    @Override
    public boolean accessed(long descriptor, int level) {
        return kind(descriptor, level) == KIND_TABLE || accessed(descriptor);
    }

    @Override
    public long withAccessed(long descriptor, int level) {
        return kind(descriptor, level) == KIND_TABLE ? descriptor : withAccessed(descriptor);
    }

    /** Writable-dirty under HTTU: DBM set and AP[2] clear (Linux {@code iopte_writeable_dirty}). */
    @Override
    public boolean dirty(long descriptor) {
        return hardwareDirty && (descriptor & (DBM | BIT7)) == DBM;
    }

    @Override
    public long withAccessed(long descriptor) {
        return descriptor | AF;
    }

    /** Under HTTU the SMMU marks a DBM leaf dirty by clearing AP[2]; nothing else is dirty-tracked. */
    @Override
    public long withDirty(long descriptor) {
        return hardwareDirty && (descriptor & DBM) != 0 ? descriptor & ~BIT7 : descriptor;
    }

    @Override
    public long encodeTable(long tableAddress, int level) {
        return VmsaDescriptorBits.table(tableAddress, geometry);
    }

    @Override
    public long encodeLeaf(long outputAddress, int level, int permissions) {
        long d = VmsaDescriptorBits.leafBase(outputAddress, level, geometry);
        if ((permissions & Permission.USER) != 0) {
            d |= BIT6;
        }
        if ((permissions & Permission.WRITE) == 0) {
            d |= BIT7;
        } else if (hardwareDirty) {
            d |= DBM | BIT7;
        }
        if ((permissions & Permission.EXEC_PRIV) == 0) {
            d |= BIT53;
        }
        if ((permissions & Permission.EXEC_USER) == 0) {
            d |= BIT54;
        }
        return d;
    }

    public VmsaGeometry geometry() {
        return geometry;
    }
}
