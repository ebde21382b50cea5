package io.nestor.core.pci;

import static io.nestor.core.pci.PciRegs.*;

/**
 * The Address Translation Services extended capability (ID 0x000F, version 1; PCIe Base §10.5.1)
 * of one function, and a live view of its control register.
 *
 * <p>ATS Capability register (read-only): Invalidate Queue Depth 0, which the specification reads
 * as 32 outstanding invalidations ({@code pci_ats_queue_depth} does the same), and Page Aligned
 * Request set — the function's untranslated requests are 4 KiB aligned. ATS Control: Enable
 * (bit 15) and Smallest Translation Unit (bits 4:0, a power-of-two count of 4 KiB blocks) are
 * read-write and start at 0 (QEMU's {@code pcie_ats_init} makes only STU bits 3:0 writable; the
 * specification's field has five bits and Linux's {@code PCI_ATS_CTRL_STU} mask too).
 */
public final class AtsCapability {
    static final int CONTROL_WRITABLE = PCI_ATS_CTRL_ENABLE | PCI_ATS_CTRL_STU_MASK;

    private final PciConfigSpace space;
    private final int offset;

    private AtsCapability(PciConfigSpace space, int offset) {
        this.space = space;
        this.offset = offset;
    }

    static AtsCapability install(PciConfigSpace space, int offset, int next) {
        space.init(offset, 4, extCapHeader(PCI_EXT_CAP_ID_ATS, 1, next));
        space.init(offset + PCI_ATS_CAP, 2, PCI_ATS_CAP_PAGE_ALIGNED);
        space.writableBits(offset + PCI_ATS_CTRL, 2, CONTROL_WRITABLE);
        return new AtsCapability(space, offset);
    }

    public int offset() {
        return offset;
    }

    /** Invalidations the function accepts before back-pressure; the register's 0 means 32. */
    public int invalidateQueueDepth() {
        int q = space.value(offset + PCI_ATS_CAP, 2) & PCI_ATS_CAP_QDEP_MASK;
        return q == 0 ? PCI_ATS_MAX_QDEP : q;
    }

    public boolean pageAlignedRequests() {
        return (space.value(offset + PCI_ATS_CAP, 2) & PCI_ATS_CAP_PAGE_ALIGNED) != 0;
    }

    public boolean enabled() {
        return (space.value(offset + PCI_ATS_CTRL, 2) & PCI_ATS_CTRL_ENABLE) != 0;
    }

    /** The Smallest Translation Unit as a shift: translations cover at least {@code 1 << stuShift()} bytes. */
    public int stuShift() {
        return PCI_ATS_MIN_STU + (space.value(offset + PCI_ATS_CTRL, 2) & PCI_ATS_CTRL_STU_MASK);
    }
}
