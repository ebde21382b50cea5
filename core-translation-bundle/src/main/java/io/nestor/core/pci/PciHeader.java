package io.nestor.core.pci;

import static io.nestor.core.pci.PciRegs.*;

/**
 * The type-0 configuration header of Nestor's PCI functions, with synthetic identity.
 *
 * <p>Identity: vendor {@link #SYNTHETIC_VENDOR_ID} is Nestor's own choice, not a PCI-SIG assignment
 * (it was not checked against the PCI ID registry); no real driver should bind to it. The device ID
 * says which capabilities the function has: {@code 0x1000} plus bit 0 for PASID, bit 1 for ATS,
 * bit 2 for PRI (so an SVA accelerator with all three is {@code 0x1007}). Subsystem IDs repeat them;
 * revision 1; class code {@code 0x120000}, "processing accelerator" — the class of the SVA devices
 * (DSA, IAA) this platform is for. The Header Type's multi-function bit is set for functions other
 * than 0, whose siblings therefore exist.
 *
 * <p>Registers (PCI Local Bus 3.0 §6.2, PCIe Base §7.5.1): Command has read-write Memory Space,
 * Bus Master, Parity Error Response, SERR# and Interrupt Disable (I/O Space is hardwired 0: there is
 * no I/O BAR); Status has the Capabilities List bit set and read-only, and its error bits are RW1C;
 * the BARs and the expansion ROM are unimplemented, so they read 0 and ignore writes (vfio-pci
 * shows an unmapped BAR as 0 too); Cache Line Size and Interrupt Line are read-write scratch; the
 * Interrupt Pin is 0 (no INTx); the capabilities pointer is {@link #CAPABILITIES_START}.
 */
final class PciHeader {
    static final int SYNTHETIC_VENDOR_ID = 0x4e45;
    static final int DEVICE_ID_BASE = 0x1000;
    static final int DEVICE_ID_PASID = 0x1;
    static final int DEVICE_ID_ATS = 0x2;
    static final int DEVICE_ID_PRI = 0x4;
    static final int REVISION = 0x01;
    /** Base class 0x12 (processing accelerator), subclass 0, programming interface 0. */
    static final int CLASS_CODE = 0x120000;
    /** Where the standard capability list starts: right after the 64-byte header. */
    static final int CAPABILITIES_START = 0x40;

    static final int COMMAND_WRITABLE = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY
            | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE;
    static final int STATUS_RW1C = PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT
            | PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY;

    private PciHeader() {
    }

    static int deviceId(boolean pasid, boolean ats, boolean pri) {
        return DEVICE_ID_BASE | (pasid ? DEVICE_ID_PASID : 0) | (ats ? DEVICE_ID_ATS : 0) | (pri ? DEVICE_ID_PRI : 0);
    }

    static void install(PciConfigSpace space, PciAddress address, int deviceId) {
        space.init(PCI_VENDOR_ID, 2, SYNTHETIC_VENDOR_ID);
        space.init(PCI_DEVICE_ID, 2, deviceId);
        space.init(PCI_COMMAND, 2, 0);
        space.writableBits(PCI_COMMAND, 2, COMMAND_WRITABLE);
        space.init(PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
        space.writeOneToClearBits(PCI_STATUS, 2, STATUS_RW1C);
        space.init(PCI_CLASS_REVISION, 4, CLASS_CODE << 8 | REVISION);
        space.writableBits(PCI_CACHE_LINE_SIZE, 1, 0xff);
        space.init(PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_NORMAL | (address.function() != 0 ? PCI_HEADER_TYPE_MFD : 0));
        space.init(PCI_SUBSYSTEM_VENDOR_ID, 2, SYNTHETIC_VENDOR_ID);
        space.init(PCI_SUBSYSTEM_ID, 2, deviceId);
        space.init(PCI_CAPABILITY_LIST, 1, CAPABILITIES_START);
        space.writableBits(PCI_INTERRUPT_LINE, 1, 0xff);
        space.init(PCI_INTERRUPT_PIN, 1, 0);
    }
}
