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
 * VMSAv8-64 stage-2 descriptors (SMMUv3 STE S2TTB walk), hw-formats.md §2.4, with root
 * concatenation from {@link VmsaGeometry#stage2}.
 *
 * <p>Leaf permissions (Linux io-pgtable-arm.c {@code ARM_LPAE_PTE_HAP_READ} = bit 6,
 * {@code ARM_LPAE_PTE_HAP_WRITE} = bit 7; QEMU hw/arm/smmu-internal.h
 * {@code is_permission_fault_s2} compares bits 7:6 with IOMMU_RO = 1 / IOMMU_WO = 2):
 * <ul>
 * <li>S2AP[0] (bit 6) grants READ, S2AP[1] (bit 7) grants WRITE; with hardware dirty management
 *     (STE.S2HD) a DBM (bit 51) leaf is writable and S2AP[1] = 0 means writable-clean;</li>
 * <li>stage 2 has no privilege for data: PRIV and USER are always granted;</li>
 * <li>XN[1:0] (bits 54:53). With FEAT_XNX (IDR3.XNX) our reading of the Arm ARM is: 00 executable
 *     at both levels, 01 not executable privileged (PXN-like), 10 not executable, 11 not
 *     executable unprivileged (UXN-like). Without XNX only XN[1] (bit 54) counts and bit 53 is
 *     ignored (hw-formats.md: "only bit 54 unless IDR3.XNX").</li>
 * </ul>
 * Stage-2 table descriptors carry no permission fields (hw-formats.md §3.2), so they grant
 * {@link Permission#ALL}.
 *
 * <p>Encoding sets AF, MemAttr 0b1111 (normal write-back, as Linux does for cached mappings) and
 * inner-shareable. Without XNX a partial execute permission cannot be expressed and is encoded as
 * not executable (the safe side). With S2HD a writable leaf is encoded writable-clean.
 */
public final class VmsaStage2Format implements PageTableFormat {

    static final long MEMATTR_NORMAL_WB = 0xFL << 2;

    private final VmsaGeometry geometry;
    private final int outputBits;
    private final boolean hardwareDirty;
    private final boolean xnx;
    private final String name;

    /**
     * @param outputBits the effective S2PS (STE.S2PS capped at the SMMU OAS), 32..48
     * @param hardwareDirty STE.S2HD: DBM leaves are writable and written through S2AP[1]
     * @param xnx IDR3.XNX: XN[0] (bit 53) distinguishes privileged from unprivileged execution
     */
    public VmsaStage2Format(VmsaGeometry geometry, int outputBits, boolean hardwareDirty, boolean xnx) {
        this.geometry = geometry;
        this.outputBits = VmsaDescriptorBits.checkOutputBits(outputBits);
        this.hardwareDirty = hardwareDirty;
        this.xnx = xnx;
        this.name = "vmsav8-s2-" + (1 << geometry.granule().shift() >> 10) + "k";
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
        return geometry.rootTableCount();
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
            return Permission.ALL;
        }
        int p = Permission.PRIV | Permission.USER;
        if ((d & BIT6) != 0) {
            p |= Permission.READ;
        }
        if ((d & BIT7) != 0 || hardwareDirty && (d & DBM) != 0) {
            p |= Permission.WRITE;
        }
        return p | execute(d);
    }

    private int execute(long d) {
        if (!xnx) {
            return (d & BIT54) != 0 ? 0 : Permission.EXEC_PRIV | Permission.EXEC_USER;
        }
        switch ((int) ((d >>> 53) & 3)) {
            case 0:
                return Permission.EXEC_PRIV | Permission.EXEC_USER;
            case 1:
                return Permission.EXEC_USER;
            case 3:
                return Permission.EXEC_PRIV;
            default:
                return 0;
        }
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

    /** Writable-dirty under HTTU: DBM and S2AP[1] both set. */
    @Override
    public boolean dirty(long descriptor) {
        return hardwareDirty && (descriptor & (DBM | BIT7)) == (DBM | BIT7);
    }

    @Override
    public long withAccessed(long descriptor) {
        return descriptor | AF;
    }

    /** Under HTTU the SMMU marks a DBM leaf dirty by setting S2AP[1]. */
    @Override
    public long withDirty(long descriptor) {
        return hardwareDirty && (descriptor & DBM) != 0 ? descriptor | BIT7 : descriptor;
    }

    @Override
    public long encodeTable(long tableAddress, int level) {
        return VmsaDescriptorBits.table(tableAddress, geometry);
    }

    @Override
    public long encodeLeaf(long outputAddress, int level, int permissions) {
        long d = VmsaDescriptorBits.leafBase(outputAddress, level, geometry) | MEMATTR_NORMAL_WB;
        if ((permissions & Permission.READ) != 0) {
            d |= BIT6;
        }
        if ((permissions & Permission.WRITE) != 0) {
            d |= hardwareDirty ? DBM : BIT7;
        }
        boolean priv = (permissions & Permission.EXEC_PRIV) != 0;
        boolean user = (permissions & Permission.EXEC_USER) != 0;
        if (priv && user) {
            return d;
        }
        if (!xnx || !priv && !user) {
            return d | BIT54;
        }
        return d | (priv ? BIT54 | BIT53 : BIT53);
    }

    public VmsaGeometry geometry() {
        return geometry;
    }
}
