package io.nestor.core.pci;

import static io.nestor.core.pci.PciRegs.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.pci.PciConfigSpace.Width;
import org.junit.jupiter.api.Test;

/** vfio-pci's access rules and the write behaviour of the registers a VMM programs. */
class PciConfigAccessTest {

    /** The default topology's SVA accelerator: PASID (20 bits, exec, priv), ATS, PRI. */
    private static PciFunction accelerator() {
        return PciFunction.of(new DeviceInfo("0000:00:02.0", "dmar0", 0x10, 20, true, true, true, true)).orElseThrow();
    }

    /** The NIC: PASID (16 bits) without exec / priv, ATS, no PRI. */
    private static PciFunction nic() {
        return PciFunction.of(new DeviceInfo("0000:00:03.0", "dmar0", 0x18, 16, false, false, true, false))
                .orElseThrow();
    }

    private static Errno errno(org.junit.jupiter.api.function.Executable call) {
        return assertThrows(IommuException.class, call).errno();
    }

    @Test
    void unalignedReadsOfAnyLengthReturnTheLittleEndianBytes() {
        PciConfigSpace cfg = accelerator().config();
        byte[] all = cfg.readBytes(0L, PciConfigSpace.SIZE);
        assertEquals(0x45, all[0] & 0xff);
        assertEquals(0x4e, all[1] & 0xff);
        byte[] odd = cfg.readBytes(1L, 5);
        for (int i = 0; i < 5; i++) {
            assertEquals(all[1 + i], odd[i]);
        }
        // a word read across a dword boundary, and a dword read at an odd offset
        assertEquals((all[3] & 0xff) | (all[4] & 0xff) << 8, cfg.read(3, Width.WORD));
        int dword = 0;
        for (int i = 0; i < 4; i++) {
            dword |= (all[0x101 + i] & 0xff) << (8 * i);
        }
        assertEquals(dword, cfg.read(0x101, Width.DWORD));
        assertArrayEquals(new byte[0], cfg.readBytes(4096L, 0), "a zero-length access does nothing, anywhere");
        assertArrayEquals(new byte[0], cfg.readBytes(5000L, 0), "also past the end of the space");
        assertArrayEquals(new byte[0], cfg.readBytes(0xffff_ffffL, 0));
        assertArrayEquals(new byte[0], cfg.readBytes(-1L, 0));
    }

    @Test
    void accessesOutsideTheSpaceAreEfaultAndChangeNothing() {
        PciFunction f = accelerator();
        PciConfigSpace cfg = f.config();
        assertEquals(Errno.EFAULT, errno(() -> cfg.readBytes(4096L, 1)));
        assertEquals(Errno.EFAULT, errno(() -> cfg.read(4095, Width.WORD)));
        assertEquals(Errno.EFAULT, errno(() -> cfg.readBytes(-1L, 1)));
        assertEquals(Errno.EFAULT, errno(() -> cfg.readBytes(0L, 4097)));
        assertEquals(Errno.EINVAL, errno(() -> cfg.readBytes(0L, -1)));
        byte[] before = cfg.readBytes(0L, PciConfigSpace.SIZE);
        // starts in range (the Command register) but runs past the end: refused as a whole
        byte[] big = new byte[4096 - PCI_COMMAND + 1];
        big[0] = (byte) PCI_COMMAND_MASTER;
        assertEquals(Errno.EFAULT, errno(() -> cfg.writeBytes((long) PCI_COMMAND, big)));
        assertArrayEquals(before, cfg.readBytes(0L, PciConfigSpace.SIZE));
    }

    @Test
    void headerKeepsReadOnlyBitsTakesReadWriteAndClearsRw1c() {
        PciConfigSpace cfg = accelerator().config();
        cfg.write(PCI_VENDOR_ID, Width.DWORD, 0xdeadbeef);
        assertEquals(0x4e45, cfg.read(PCI_VENDOR_ID, Width.WORD));
        assertEquals(0x1007, cfg.read(PCI_DEVICE_ID, Width.WORD));
        cfg.write(PCI_COMMAND, Width.WORD, 0xffff);
        assertEquals(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR
                | PCI_COMMAND_INTX_DISABLE, cfg.read(PCI_COMMAND, Width.WORD), "I/O space and the rest stay 0");
        cfg.write(PCI_STATUS, Width.WORD, 0);
        assertEquals(PCI_STATUS_CAP_LIST, cfg.read(PCI_STATUS, Width.WORD), "capability list bit is read-only");
        cfg.write(PCI_BASE_ADDRESS_0, Width.DWORD, 0xffffffff);
        assertEquals(0, cfg.read(PCI_BASE_ADDRESS_0, Width.DWORD), "an unimplemented BAR sizes as 0");
        cfg.write(PCI_CAPABILITY_LIST, Width.BYTE, 0x80);
        assertEquals(0x40, cfg.read(PCI_CAPABILITY_LIST, Width.BYTE));
        cfg.write(PCI_INTERRUPT_LINE, Width.BYTE, 0x0b);
        assertEquals(0x0b, cfg.read(PCI_INTERRUPT_LINE, Width.BYTE));
        cfg.write(0x200, Width.DWORD, 0x12345678);
        assertEquals(0, cfg.read(0x200, Width.DWORD), "space outside every capability ignores writes");
        // a PCIe error status bit set by the device is cleared by writing 1, kept by writing 0
        cfg.init(0x40 + PCI_EXP_DEVSTA, 2, PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_URD);
        cfg.write(0x40 + PCI_EXP_DEVSTA, Width.WORD, PCI_EXP_DEVSTA_URD);
        assertEquals(PCI_EXP_DEVSTA_CED, cfg.read(0x40 + PCI_EXP_DEVSTA, Width.WORD));
        cfg.write(0x40 + PCI_EXP_DEVCTL, Width.WORD, 0xffff);
        assertEquals(PciExpressCapability.DEVCTL_WRITABLE, cfg.read(0x40 + PCI_EXP_DEVCTL, Width.WORD),
                "FLR, phantom functions and aux power are not writable");
    }

    @Test
    void vmmEnablesPasidWithOnlyTheSupportedPermissionBits() {
        PciFunction acc = accelerator();
        int pos = CapabilityWalker.findExt(acc.config(), PCI_EXT_CAP_ID_PASID);
        acc.config().write(pos + PCI_PASID_CTRL, Width.WORD, 0xffff);
        assertEquals(PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC | PCI_PASID_CTRL_PRIV,
                acc.config().read(pos + PCI_PASID_CTRL, Width.WORD));
        PasidCapability p = acc.pasid().orElseThrow();
        assertTrue(p.enabled() && p.execEnabled() && p.privEnabled());
        acc.config().write(pos + PCI_PASID_CAP, Width.WORD, 0);
        assertEquals(20, p.maxPasidWidth(), "the capability register is read-only");

        PciFunction nic = nic();
        int npos = CapabilityWalker.findExt(nic.config(), PCI_EXT_CAP_ID_PASID);
        nic.config().write(npos + PCI_PASID_CTRL, Width.WORD, PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC
                | PCI_PASID_CTRL_PRIV);
        assertEquals(PCI_PASID_CTRL_ENABLE, nic.config().read(npos + PCI_PASID_CTRL, Width.WORD),
                "exec / priv enables are hardwired 0 without the capability");
        nic.config().write(npos + PCI_PASID_CTRL, Width.WORD, 0);
        assertFalse(nic.pasid().orElseThrow().enabled());
    }

    @Test
    void vmmEnablesAtsAndSetsTheFiveBitStu() {
        PciFunction acc = accelerator();
        PciConfigSpace cfg = acc.config();
        int pos = CapabilityWalker.findExt(cfg, PCI_EXT_CAP_ID_ATS);
        cfg.write(pos + PCI_ATS_CTRL, Width.WORD, 0xffff);
        assertEquals(PCI_ATS_CTRL_ENABLE | 0x1f, cfg.read(pos + PCI_ATS_CTRL, Width.WORD));
        assertEquals(12 + 31, acc.ats().orElseThrow().stuShift());
        // the Enable bit is in the control register's high byte: a byte write reaches it alone
        cfg.write(pos + PCI_ATS_CTRL + 1, Width.BYTE, 0x00);
        assertEquals(0x1f, cfg.read(pos + PCI_ATS_CTRL, Width.WORD));
        assertFalse(acc.ats().get().enabled());
        cfg.write(pos + PCI_ATS_CAP, Width.WORD, 0);
        assertTrue(acc.ats().get().pageAlignedRequests(), "the capability register is read-only");
        // a dword write covering the capability and control registers: only control changes
        cfg.write(pos + PCI_ATS_CAP, Width.DWORD, (PCI_ATS_CTRL_ENABLE | 3) << 16 | 0x001f);
        assertEquals(PCI_ATS_CAP_PAGE_ALIGNED | (PCI_ATS_CTRL_ENABLE | 3) << 16, cfg.read(pos + PCI_ATS_CAP,
                Width.DWORD));
        int header = cfg.read(pos, Width.DWORD);
        cfg.write(pos, Width.DWORD, 0);
        assertEquals(header, cfg.read(pos, Width.DWORD), "the header and its next pointer are read-only");
    }

    @Test
    void priControlStatusAndAllocationFollowTheirRegisterTypes() {
        PciFunction acc = accelerator();
        PciConfigSpace cfg = acc.config();
        PriCapability pri = acc.pri().orElseThrow();
        int pos = CapabilityWalker.findExt(cfg, PCI_EXT_CAP_ID_PRI);

        cfg.write(pos + PCI_PRI_ALLOC_REQ, Width.DWORD, 256);
        assertEquals(256, pri.allocation());
        cfg.write(pos + PCI_PRI_MAX_REQ, Width.DWORD, 7);
        assertEquals(PriCapability.CAPACITY, pri.capacity(), "capacity is read-only");

        cfg.write(pos + PCI_PRI_CTRL, Width.WORD, PCI_PRI_CTRL_ENABLE | PCI_PRI_CTRL_RESET);
        assertEquals(PCI_PRI_CTRL_ENABLE, cfg.read(pos + PCI_PRI_CTRL, Width.WORD), "Reset always reads 0");
        assertTrue(pri.enabled());
        assertFalse(pri.stopped(), "Stopped clears while enabled");
        assertTrue(pri.mayRequest());

        pri.reportResponseFailure();
        pri.reportUnexpectedGroupIndex();
        assertFalse(pri.mayRequest(), "a response failure stops page requests");
        int status = cfg.read(pos + PCI_PRI_STATUS, Width.WORD);
        assertEquals(PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI | PCI_PRI_STATUS_PASID, status);
        cfg.write(pos + PCI_PRI_STATUS, Width.WORD, PCI_PRI_STATUS_RF | PCI_PRI_STATUS_STOPPED
                | PCI_PRI_STATUS_PASID);
        assertEquals(PCI_PRI_STATUS_UPRGI | PCI_PRI_STATUS_PASID, cfg.read(pos + PCI_PRI_STATUS, Width.WORD),
                "RF cleared by its 1, UPRGI kept by its 0, Stopped and PASID-required read-only");
        assertTrue(pri.mayRequest());

        // one dword write: disable, and clear UPRGI in the status half
        cfg.write(pos + PCI_PRI_CTRL, Width.DWORD, PCI_PRI_STATUS_UPRGI << 16);
        assertFalse(pri.enabled());
        assertTrue(pri.stopped(), "Stopped is set again once disabled");
        assertFalse(pri.unexpectedGroupIndex());
        assertEquals(PCI_PRI_STATUS_STOPPED | PCI_PRI_STATUS_PASID, cfg.read(pos + PCI_PRI_STATUS, Width.WORD));
    }

    @Test
    void concurrentReadersNeverSeeHalfAWrite() throws Exception {
        PciConfigSpace cfg = accelerator().config();
        int pos = CapabilityWalker.findExt(cfg, PCI_EXT_CAP_ID_PRI) + PCI_PRI_ALLOC_REQ;
        Thread writer = new Thread(() -> {
            for (int i = 0; i < 20000; i++) {
                cfg.writeBytes((long) pos, i % 2 == 0 ? new byte[] {0, 0, 0, 0} : new byte[] {-1, -1, -1, -1});
            }
        });
        writer.start();
        int torn = 0;
        while (writer.isAlive()) {
            int v = cfg.read(pos, Width.DWORD);
            if (v != 0 && v != -1) {
                torn++;
            }
        }
        writer.join();
        assertEquals(0, torn);
    }
}
