package io.nestor.core.pci;

import static io.nestor.core.pci.PciRegs.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.core.pci.CapabilityWalker.ExtCap;
import io.nestor.core.pci.PciConfigSpace.Width;
import io.nestor.core.topology.Topology;
import io.nestor.core.topology.TopologyFile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Every device of the embedded default topology: walk its capability lists as the kernel does and
 * check each field against what the device declares.
 */
class PciConfigLayoutTest {

    static List<DeviceInfo> defaultDevices() {
        Topology t = TopologyFile.embeddedDefault();
        return t.devices();
    }

    static List<DeviceInfo> defaultPciDevices() {
        return defaultDevices().stream().filter(d -> PciAddress.parse(d.name()).isPresent()).toList();
    }

    @Test
    void defaultTopologyHasEveryKindOfFunction() {
        List<DeviceInfo> pci = defaultPciDevices();
        assertEquals(6, pci.size());
        assertTrue(pci.stream().anyMatch(d -> d.pasidCapable() && d.ats() && d.pri()));
        assertTrue(pci.stream().anyMatch(d -> d.pasidCapable() && d.ats() && !d.pri()));
        assertTrue(pci.stream().anyMatch(d -> d.pasidCapable() && !d.ats()));
        assertTrue(pci.stream().anyMatch(d -> !d.pasidCapable() && !d.ats()));
    }

    @Test
    void everyPciNamedDeviceGetsAFunctionWithItsOwnSpace() {
        Map<String, PciFunction> functions = PciFunction.forDevices(defaultDevices());
        assertEquals(defaultPciDevices().stream().map(DeviceInfo::name).toList(), List.copyOf(functions.keySet()));
        PciFunction a = functions.get("0000:00:02.0");
        PciFunction b = functions.get("0000:00:03.0");
        a.config().write(PCI_COMMAND, Width.WORD, PCI_COMMAND_MASTER);
        assertEquals(0, b.config().read(PCI_COMMAND, Width.WORD), "functions do not share state");
        assertEquals(new PciAddress(1, 0, 1, 0), functions.get("0001:00:01.0").address());
    }

    @Test
    void platformDeviceHasNoConfigSpace() {
        DeviceInfo platform = defaultDevices().stream().filter(d -> d.name().equals("smmu0-dma0")).findFirst()
                .orElseThrow();
        assertTrue(PciFunction.of(platform).isEmpty());
    }

    @ParameterizedTest
    @MethodSource("defaultPciDevices")
    void headerIdentifiesTheFunction(DeviceInfo d) {
        PciFunction f = PciFunction.of(d).orElseThrow();
        PciConfigSpace cfg = f.config();
        assertEquals(0x4e45, cfg.read(PCI_VENDOR_ID, Width.WORD));
        int expectedDevice = 0x1000 | (d.pasidCapable() ? 1 : 0) | (d.ats() ? 2 : 0) | (d.pri() ? 4 : 0);
        assertEquals(expectedDevice, cfg.read(PCI_DEVICE_ID, Width.WORD));
        assertEquals(0x4e45, cfg.read(PCI_SUBSYSTEM_VENDOR_ID, Width.WORD));
        assertEquals(expectedDevice, cfg.read(PCI_SUBSYSTEM_ID, Width.WORD));
        assertEquals(0x12000001, cfg.read(PCI_CLASS_REVISION, Width.DWORD), "class 0x120000, revision 1");
        assertEquals(0, cfg.read(PCI_COMMAND, Width.WORD));
        assertEquals(PCI_STATUS_CAP_LIST, cfg.read(PCI_STATUS, Width.WORD));
        assertEquals(f.address().function() == 0 ? 0x00 : 0x80, cfg.read(PCI_HEADER_TYPE, Width.BYTE));
        for (int bar = PCI_BASE_ADDRESS_0; bar <= PCI_BASE_ADDRESS_5; bar += 4) {
            assertEquals(0, cfg.read(bar, Width.DWORD));
        }
        assertEquals(0, cfg.read(PCI_INTERRUPT_PIN, Width.BYTE));
        assertEquals(d.sourceId(), f.address().requesterId(), "the address is the topology's RID");
    }

    @ParameterizedTest
    @MethodSource("defaultPciDevices")
    void pciExpressCapabilityIsTheStandardList(DeviceInfo d) {
        PciFunction f = PciFunction.of(d).orElseThrow();
        PciConfigSpace cfg = f.config();
        Map<Integer, Integer> caps = CapabilityWalker.standard(cfg);
        assertEquals(List.of(PCI_CAP_ID_EXP), new ArrayList<>(caps.keySet()));
        int exp = caps.get(PCI_CAP_ID_EXP);
        int flags = cfg.read(exp + PCI_EXP_FLAGS, Width.WORD);
        assertEquals(2, flags & PCI_EXP_FLAGS_VERS);
        boolean integrated = f.address().bus() == 0;
        assertEquals(integrated ? PCI_EXP_TYPE_RC_END : PCI_EXP_TYPE_ENDPOINT, (flags & PCI_EXP_FLAGS_TYPE) >> 4);
        int devcap = cfg.read(exp + PCI_EXP_DEVCAP, Width.DWORD);
        assertEquals(1, devcap & PCI_EXP_DEVCAP_PAYLOAD, "256-byte payloads");
        assertEquals(0, devcap & PCI_EXP_DEVCAP_FLR, "no function level reset is offered");
        assertEquals(0x2810, cfg.read(exp + PCI_EXP_DEVCTL, Width.WORD), "spec defaults: RO, no snoop, 512B MRRS");
        int lnkcap = cfg.read(exp + PCI_EXP_LNKCAP, Width.DWORD);
        int lnksta = cfg.read(exp + PCI_EXP_LNKSTA, Width.WORD);
        if (integrated) {
            assertEquals(0, lnkcap, "an integrated endpoint has no link");
            assertEquals(0, lnksta);
        } else {
            assertEquals(4, lnkcap & PCI_EXP_LNKCAP_SLS);
            assertEquals(16, (lnkcap & PCI_EXP_LNKCAP_MLW) >> 4);
            assertEquals(4, lnksta & PCI_EXP_LNKSTA_CLS);
            assertEquals(16, (lnksta & PCI_EXP_LNKSTA_NLW) >> 4);
            assertEquals(0x1e, cfg.read(exp + PCI_EXP_LNKCAP2, Width.DWORD));
        }
    }

    @ParameterizedTest
    @MethodSource("defaultPciDevices")
    void extendedCapabilitiesAreExactlyTheDevicesOnesCorrectlyChained(DeviceInfo d) {
        PciFunction f = PciFunction.of(d).orElseThrow();
        PciConfigSpace cfg = f.config();
        List<ExtCap> caps = CapabilityWalker.extended(cfg);
        List<Integer> expected = new ArrayList<>();
        if (d.pasidCapable()) {
            expected.add(PCI_EXT_CAP_ID_PASID);
        }
        if (d.ats()) {
            expected.add(PCI_EXT_CAP_ID_ATS);
        }
        if (d.pri()) {
            expected.add(PCI_EXT_CAP_ID_PRI);
        }
        assertEquals(expected, caps.stream().map(ExtCap::id).toList());
        if (caps.isEmpty()) {
            assertEquals(0, cfg.read(0x100, Width.DWORD), "no extended capabilities: a zero header at 0x100");
            return;
        }
        assertEquals(0x100, caps.get(0).offset());
        for (int i = 0; i < caps.size(); i++) {
            ExtCap c = caps.get(i);
            assertEquals(1, c.version(), "version of capability 0x" + Integer.toHexString(c.id()));
            assertEquals(0, c.offset() & 3, "dword aligned");
            int length = switch (c.id()) {
                case PCI_EXT_CAP_ID_PASID -> PCI_EXT_CAP_PASID_SIZEOF;
                case PCI_EXT_CAP_ID_ATS -> PCI_EXT_CAP_ATS_SIZEOF;
                default -> PCI_EXT_CAP_PRI_SIZEOF;
            };
            if (i + 1 < caps.size()) {
                assertTrue(caps.get(i + 1).offset() >= c.offset() + length, "capabilities do not overlap");
            } else {
                assertEquals(0, c.next(), "the last capability ends the list");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("defaultPciDevices")
    void pasidCapabilityFields(DeviceInfo d) {
        PciFunction f = PciFunction.of(d).orElseThrow();
        PciConfigSpace cfg = f.config();
        int pos = CapabilityWalker.findExt(cfg, PCI_EXT_CAP_ID_PASID);
        assertEquals(d.pasidCapable(), pos != 0);
        assertEquals(d.pasidCapable(), f.pasid().isPresent());
        if (pos == 0) {
            return;
        }
        int cap = cfg.read(pos + PCI_PASID_CAP, Width.WORD);
        assertEquals(d.pasidBits(), (cap & PCI_PASID_CAP_WIDTH) >> 8, "Max PASID Width");
        assertEquals(d.pasidExec(), (cap & PCI_PASID_CAP_EXEC) != 0);
        assertEquals(d.pasidPriv(), (cap & PCI_PASID_CAP_PRIV) != 0);
        assertEquals(0, cap & ~(PCI_PASID_CAP_WIDTH | PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV), "reserved bits 0");
        assertEquals(0, cfg.read(pos + PCI_PASID_CTRL, Width.WORD), "starts disabled");
        assertEquals(pos, f.pasid().get().offset());
        assertEquals(d.pasidBits(), f.pasid().get().maxPasidWidth());
    }

    @ParameterizedTest
    @MethodSource("defaultPciDevices")
    void atsCapabilityFields(DeviceInfo d) {
        PciFunction f = PciFunction.of(d).orElseThrow();
        PciConfigSpace cfg = f.config();
        int pos = CapabilityWalker.findExt(cfg, PCI_EXT_CAP_ID_ATS);
        assertEquals(d.ats(), pos != 0);
        if (pos == 0) {
            return;
        }
        int cap = cfg.read(pos + PCI_ATS_CAP, Width.WORD);
        assertEquals(0, cap & PCI_ATS_CAP_QDEP_MASK, "queue depth 0, read as 32");
        assertEquals(32, f.ats().orElseThrow().invalidateQueueDepth());
        assertTrue((cap & PCI_ATS_CAP_PAGE_ALIGNED) != 0);
        assertEquals(0, cfg.read(pos + PCI_ATS_CTRL, Width.WORD), "disabled, STU 0");
        assertEquals(12, f.ats().get().stuShift());
    }

    @ParameterizedTest
    @MethodSource("defaultPciDevices")
    void priCapabilityFields(DeviceInfo d) {
        PciFunction f = PciFunction.of(d).orElseThrow();
        PciConfigSpace cfg = f.config();
        int pos = CapabilityWalker.findExt(cfg, PCI_EXT_CAP_ID_PRI);
        assertEquals(d.pri(), pos != 0);
        if (pos == 0) {
            return;
        }
        assertEquals(0, cfg.read(pos + PCI_PRI_CTRL, Width.WORD));
        int status = cfg.read(pos + PCI_PRI_STATUS, Width.WORD);
        assertTrue((status & PCI_PRI_STATUS_STOPPED) != 0, "stopped while disabled");
        assertEquals(d.pasidCapable(), (status & PCI_PRI_STATUS_PASID) != 0, "PRG response PASID required");
        assertFalse((status & (PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI)) != 0);
        assertEquals(PriCapability.CAPACITY, cfg.read(pos + PCI_PRI_MAX_REQ, Width.DWORD));
        assertEquals(0, cfg.read(pos + PCI_PRI_ALLOC_REQ, Width.DWORD));
    }
}
