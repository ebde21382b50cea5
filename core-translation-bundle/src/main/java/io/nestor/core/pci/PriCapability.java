package io.nestor.core.pci;

import static io.nestor.core.pci.PciRegs.*;

/**
 * The Page Request Interface extended capability (ID 0x0013, version 1; PCIe Base §10.5.2) of one
 * function: the registers a VMM programs, and the status bits the device side reports.
 *
 * <p>PRI Control: Enable (bit 0) is read-write, starts clear. Reset (bit 1) acts when written as 1
 * and always reads 0; the function keeps no page-request credits of its own in config space (the
 * platform's fault queues hold outstanding requests), so it has nothing else to clear.
 * PRI Status: Response Failure (bit 0) and Unexpected Page Request Group Index (bit 1) are RW1C and
 * set by the device side ({@link #reportResponseFailure}, {@link #reportUnexpectedGroupIndex});
 * Stopped (bit 8) is read-only, set while Enable is clear (the specification's default is 1 and
 * the bit means "no requests outstanding" only while disabled); PRG Response PASID Required
 * (bit 15) is read-only and set when the function has a PASID capability — Linux
 * ({@code pci_prg_resp_pasid_required}) and the VT-d driver read it to put the PASID in page
 * responses. Outstanding Page Request Capacity is read-only ({@link #CAPACITY}); Outstanding Page
 * Request Allocation is read-write and starts at 0.
 */
public final class PriCapability {
    /** Outstanding page requests the function can have; Linux's VT-d driver asks for up to its queue depth. */
    public static final int CAPACITY = 512;

    private final PciConfigSpace space;
    private final int offset;

    private PriCapability(PciConfigSpace space, int offset) {
        this.space = space;
        this.offset = offset;
    }

    static PriCapability install(PciConfigSpace space, int offset, int next, boolean pasidRequired) {
        space.init(offset, 4, extCapHeader(PCI_EXT_CAP_ID_PRI, 1, next));
        space.writableBits(offset + PCI_PRI_CTRL, 2, PCI_PRI_CTRL_ENABLE);
        space.init(offset + PCI_PRI_STATUS, 2,
                PCI_PRI_STATUS_STOPPED | (pasidRequired ? PCI_PRI_STATUS_PASID : 0));
        space.writeOneToClearBits(offset + PCI_PRI_STATUS, 2, PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);
        space.init(offset + PCI_PRI_MAX_REQ, 4, CAPACITY);
        space.writableBits(offset + PCI_PRI_ALLOC_REQ, 4, 0xffffffff);
        int control = offset + PCI_PRI_CTRL;
        space.addHook(new PciConfigSpace.WriteHook() {
            @Override
            public boolean covers(int at, int length) {
                return at <= control && control < at + length;
            }

            @Override
            public void afterWrite(PciConfigSpace s, int at, int length, int value) {
                boolean enabled = (s.value(control, 2) & PCI_PRI_CTRL_ENABLE) != 0;
                s.update(offset + PCI_PRI_STATUS, 2, enabled ? 0 : PCI_PRI_STATUS_STOPPED,
                        enabled ? PCI_PRI_STATUS_STOPPED : 0);
            }
        });
        return new PriCapability(space, offset);
    }

    public int offset() {
        return offset;
    }

    public boolean enabled() {
        return (space.value(offset + PCI_PRI_CTRL, 2) & PCI_PRI_CTRL_ENABLE) != 0;
    }

    public int allocation() {
        return space.value(offset + PCI_PRI_ALLOC_REQ, 4);
    }

    public int capacity() {
        return space.value(offset + PCI_PRI_MAX_REQ, 4);
    }

    public boolean stopped() {
        return (status() & PCI_PRI_STATUS_STOPPED) != 0;
    }

    public boolean responseFailure() {
        return (status() & PCI_PRI_STATUS_RF) != 0;
    }

    public boolean unexpectedGroupIndex() {
        return (status() & PCI_PRI_STATUS_UPRGI) != 0;
    }

    /** Whether the function may send page requests: enabled and not stopped by a response failure. */
    public boolean mayRequest() {
        return enabled() && !responseFailure();
    }

    /** The device received a page response with Response Failure: it stops issuing page requests. */
    public void reportResponseFailure() {
        space.update(offset + PCI_PRI_STATUS, 2, PCI_PRI_STATUS_RF, 0);
    }

    /** The device received a page response whose group index matches no outstanding request. */
    public void reportUnexpectedGroupIndex() {
        space.update(offset + PCI_PRI_STATUS, 2, PCI_PRI_STATUS_UPRGI, 0);
    }

    private int status() {
        return space.value(offset + PCI_PRI_STATUS, 2);
    }
}
