package io.nestor.core.pci;

import static io.nestor.core.pci.PciRegs.*;

/**
 * The PASID extended capability (ID 0x001B, version 1; PCIe Base §7.8.8) of one function, and a
 * live view of its control register.
 *
 * <p>PASID Capability register (read-only): Execute Permission Supported (bit 1), Privileged Mode
 * Supported (bit 2) and Max PASID Width (bits 12:8) — from the topology's {@code pasid-exec},
 * {@code pasid-priv} and {@code pasid-bits}. PASID Control: PASID Enable (bit 0) is read-write;
 * Execute Permission Enable and Privileged Mode Enable (bits 1, 2) are read-write only when the
 * matching capability is supported, else hardwired to 0 as the specification permits. All enables
 * start clear.
 *
 * <p>Note: the kernel's vfio-pci hides the PASID capability from user space
 * ({@code pci_ext_cap_length[PCI_EXT_CAP_ID_PASID] = 0}) and VMMs learn PASID support from
 * {@code IOMMU_GET_HW_INFO} instead; Nestor shows it, as its issue asks, so a VMM can also read and
 * enable it here.
 */
public final class PasidCapability {
    private final PciConfigSpace space;
    private final int offset;

    private PasidCapability(PciConfigSpace space, int offset) {
        this.space = space;
        this.offset = offset;
    }

    static PasidCapability install(PciConfigSpace space, int offset, int next, int widthBits, boolean exec,
            boolean priv) {
        space.init(offset, 4, extCapHeader(PCI_EXT_CAP_ID_PASID, 1, next));
        int cap = (exec ? PCI_PASID_CAP_EXEC : 0) | (priv ? PCI_PASID_CAP_PRIV : 0) | (widthBits << 8 & PCI_PASID_CAP_WIDTH);
        space.init(offset + PCI_PASID_CAP, 2, cap);
        space.writableBits(offset + PCI_PASID_CTRL, 2,
                PCI_PASID_CTRL_ENABLE | (exec ? PCI_PASID_CTRL_EXEC : 0) | (priv ? PCI_PASID_CTRL_PRIV : 0));
        return new PasidCapability(space, offset);
    }

    /** Where the capability starts in the config space. */
    public int offset() {
        return offset;
    }

    public int maxPasidWidth() {
        return (space.value(offset + PCI_PASID_CAP, 2) & PCI_PASID_CAP_WIDTH) >> 8;
    }

    public boolean enabled() {
        return (control() & PCI_PASID_CTRL_ENABLE) != 0;
    }

    public boolean execEnabled() {
        return (control() & PCI_PASID_CTRL_EXEC) != 0;
    }

    public boolean privEnabled() {
        return (control() & PCI_PASID_CTRL_PRIV) != 0;
    }

    private int control() {
        return space.value(offset + PCI_PASID_CTRL, 2);
    }
}
