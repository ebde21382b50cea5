package io.nestor.core.pci;

import static io.nestor.core.pci.PciRegs.*;

/**
 * The PCI Express capability (ID 0x10, version 2) in the standard list. Its presence is what makes
 * a function's space 4 KiB and its extended capabilities at 0x100 legal (Linux
 * {@code pci_cfg_space_size} only looks past 256 bytes for PCIe or PCI-X 2 functions).
 *
 * <p>Device/Port type: a function on bus 0 is a Root Complex integrated endpoint (type 9), as the
 * accelerators inside a host bridge are, and has no link registers; a function on another bus is a
 * PCI Express endpoint (type 0) behind an implied root port, with a x16 link at 16 GT/s.
 *
 * <p>Registers (PCIe Base §7.5.3): Device Capabilities — 256-byte Max_Payload_Size, extended tags,
 * role-based error reporting, no Function Level Reset (the platform does not model one). Device
 * Control — the error-reporting enables, Relaxed Ordering, Max_Payload_Size, Extended Tag, No Snoop
 * and Max_Read_Request_Size are read-write, with the specification's defaults (Relaxed Ordering and
 * No Snoop enabled, 512-byte read requests). Device Status — the four error-detected bits are RW1C.
 * Link Control (endpoints) — ASPM Control, Read Completion Boundary, Common Clock and Extended Synch
 * are read-write; Link Control 2's Target Link Speed too. Everything else reads as fixed values.
 */
final class PciExpressCapability {
    /** Max_Payload_Size supported: 1 = 256 bytes. */
    static final int DEVCAP = 0x1 | PCI_EXP_DEVCAP_EXT_TAG | PCI_EXP_DEVCAP_RBER;
    static final int DEVCTL_DEFAULT = PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_NOSNOOP_EN | PCI_EXP_DEVCTL_READRQ_512B;
    static final int DEVCTL_WRITABLE = PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE
            | PCI_EXP_DEVCTL_URRE | PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_EXT_TAG
            | PCI_EXP_DEVCTL_NOSNOOP_EN | PCI_EXP_DEVCTL_READRQ;
    static final int DEVSTA_RW1C = PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_FED | PCI_EXP_DEVSTA_URD;
    /** Link speed code 4 (16 GT/s), the index into the Supported Link Speeds vector. */
    static final int LINK_SPEED = 4;
    static final int LINK_WIDTH = 16;
    static final int LNKCAP = LINK_SPEED | LINK_WIDTH << 4;
    static final int LNKSTA = LINK_SPEED | LINK_WIDTH << 4;
    /** Supported Link Speeds vector: 2.5, 5, 8 and 16 GT/s (bits 1..4). */
    static final int LNKCAP2 = 0x1e;
    static final int LNKCTL_WRITABLE = PCI_EXP_LNKCTL_ASPMC | PCI_EXP_LNKCTL_RCB | PCI_EXP_LNKCTL_CCC
            | PCI_EXP_LNKCTL_ES;
    static final int LNKCTL2_TARGET_SPEED = 0x000f;

    private PciExpressCapability() {
    }

    /** Installs the capability at {@code offset}; returns its length. */
    static int install(PciConfigSpace space, int offset, int next, boolean rootComplexIntegrated) {
        int type = rootComplexIntegrated ? PCI_EXP_TYPE_RC_END : PCI_EXP_TYPE_ENDPOINT;
        space.init(offset + PCI_CAP_LIST_ID, 1, PCI_CAP_ID_EXP);
        space.init(offset + PCI_CAP_LIST_NEXT, 1, next);
        space.init(offset + PCI_EXP_FLAGS, 2, 2 | type << 4);
        space.init(offset + PCI_EXP_DEVCAP, 4, DEVCAP);
        space.init(offset + PCI_EXP_DEVCTL, 2, DEVCTL_DEFAULT);
        space.writableBits(offset + PCI_EXP_DEVCTL, 2, DEVCTL_WRITABLE);
        space.writeOneToClearBits(offset + PCI_EXP_DEVSTA, 2, DEVSTA_RW1C);
        if (rootComplexIntegrated) {
            return PCI_CAP_EXP_RC_ENDPOINT_SIZEOF_V2;
        }
        space.init(offset + PCI_EXP_LNKCAP, 4, LNKCAP);
        space.writableBits(offset + PCI_EXP_LNKCTL, 2, LNKCTL_WRITABLE);
        space.init(offset + PCI_EXP_LNKSTA, 2, LNKSTA);
        space.init(offset + PCI_EXP_LNKCAP2, 4, LNKCAP2);
        space.init(offset + PCI_EXP_LNKCTL2, 2, LINK_SPEED);
        space.writableBits(offset + PCI_EXP_LNKCTL2, 2, LNKCTL2_TARGET_SPEED);
        return PCI_CAP_EXP_ENDPOINT_SIZEOF_V2;
    }
}
