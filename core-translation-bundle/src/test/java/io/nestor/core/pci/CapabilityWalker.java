package io.nestor.core.pci;

import io.nestor.core.pci.PciConfigSpace.Width;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The test's own capability-list walk, written after the kernel's {@code pci_find_capability} and
 * {@code pci_find_ext_capability} (drivers/pci/pci.c) and lspci, reading only through the config
 * region as a VMM would — independent of how the main code lays the lists out.
 */
final class CapabilityWalker {
    /** pci_find_cap_start / __pci_find_next_cap_ttl: at most 48 standard capabilities. */
    private static final int STD_TTL = 48;
    /** pci_find_next_ext_capability: (4096 - 256) / 8 headers at most. */
    private static final int EXT_TTL = (4096 - 256) / 8;

    private CapabilityWalker() {
    }

    /** Standard list: capability ID → offset, in list order. */
    static Map<Integer, Integer> standard(PciConfigSpace cfg) {
        Map<Integer, Integer> found = new LinkedHashMap<>();
        if ((cfg.read(PciRegs.PCI_STATUS, Width.WORD) & PciRegs.PCI_STATUS_CAP_LIST) == 0) {
            return found;
        }
        int pos = cfg.read(PciRegs.PCI_CAPABILITY_LIST, Width.BYTE);
        for (int ttl = STD_TTL; ttl > 0 && pos >= 0x40; ttl--) {
            pos &= ~3;
            int header = cfg.read(pos, Width.WORD);
            int id = header & 0xff;
            if (id == 0xff) {
                break;
            }
            if (found.putIfAbsent(id, pos) != null) {
                throw new AssertionError("capability 0x" + Integer.toHexString(id) + " listed twice");
            }
            pos = header >> 8;
        }
        return found;
    }

    /** An extended capability as its header describes it. */
    record ExtCap(int offset, int id, int version, int next) {
    }

    /** Extended list from 0x100, in list order; an all-zero header at 0x100 means none. */
    static List<ExtCap> extended(PciConfigSpace cfg) {
        List<ExtCap> caps = new ArrayList<>();
        int pos = 0x100;
        int header = cfg.read(pos, Width.DWORD);
        if (header == 0 || header == -1) {
            return caps;
        }
        for (int ttl = EXT_TTL; ttl > 0; ttl--) {
            int next = header >>> 20 & 0xffc;
            caps.add(new ExtCap(pos, header & 0xffff, header >>> 16 & 0xf, next));
            if (next < 0x100) {
                return caps;
            }
            pos = next;
            header = cfg.read(pos, Width.DWORD);
            if (header == 0) {
                throw new AssertionError("next pointer 0x" + Integer.toHexString(pos) + " names an empty header");
            }
        }
        throw new AssertionError("extended capability list does not end");
    }

    /** pci_find_ext_capability: the offset of the first extended capability {@code id}, or 0. */
    static int findExt(PciConfigSpace cfg, int id) {
        return extended(cfg).stream().filter(c -> c.id() == id).mapToInt(ExtCap::offset).findFirst().orElse(0);
    }
}
