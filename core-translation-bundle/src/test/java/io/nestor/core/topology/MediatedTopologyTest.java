package io.nestor.core.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.platform.MediatedDevice;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code [device NAME]} sections with {@code parent} and {@code default-pasid}, and their rules. */
class MediatedTopologyTest {
    private static final String BASE = """
            [unit dmar0]
            kind = intel-vtd
            pasid-bits = 20
            [device 0000:00:02.0]
            unit = dmar0
            pasid-bits = 10
            [device 0000:00:04.0]
            unit = dmar0
            """;

    private static Topology parse(String extra) throws IOException {
        return TopologyFile.parse(new StringReader(BASE + extra), "t.ini");
    }

    private static String error(String extra) {
        return assertThrows(TopologyFormatException.class, () -> parse(extra)).getMessage();
    }

    @Test
    void aMediatedDeviceTakesItsParentsUnitAndRequesterAndNoCapabilities() throws IOException {
        Topology t = parse("[device mdev-a]\ndefault-pasid = 0x3ff\nparent = 0000:00:02.0\nunit = dmar0\n");
        DeviceInfo m = t.device("mdev-a").orElseThrow();
        DeviceInfo parent = t.device("0000:00:02.0").orElseThrow();
        assertEquals(new DeviceInfo("mdev-a", "dmar0", parent.sourceId(), 0, false, false, false, false), m);
        assertEquals(List.of(new MediatedDevice("mdev-a", "0000:00:02.0", 0x3ff)), t.mediated());
        assertEquals("mdev-a", t.devices().get(2).name(), "after the physical devices: their groups keep their numbers");
        assertSame(m, t.issuer(parent, 0x3ff));
        assertSame(parent, t.issuer(parent, 0x3fe));
        assertSame(parent, t.issuer(parent, DeviceInfo.NO_PASID));
        assertEquals(List.of(), t.mediatedOf("0000:00:04.0"));
    }

    @Test
    void theParentMayBeDeclaredAfterIt() throws IOException {
        Topology t = TopologyFile.parse(new StringReader("[unit u]\nkind = intel-vtd\n[device m]\nparent = p\n"
                + "default-pasid = 1\n[device p]\nunit = u\nsource-id = 7\npasid-bits = 4\n"), "t.ini");
        assertEquals(7, t.device("m").orElseThrow().sourceId());
    }

    @Test
    void itsRulesAreCheckedWithTheLine() {
        String m = error("[device m]\nparent = 0000:00:02.0\ndefault-pasid = 1\npasid-bits = 4\n");
        assertTrue(m.startsWith("t.ini:12:") && m.contains("'pasid-bits' belongs to its parent"), m);
        m = error("[device m]\nparent = 0000:00:02.0\nats = true\ndefault-pasid = 1\n");
        assertTrue(m.startsWith("t.ini:11:") && m.contains("'ats'"), m);
        m = error("[device m]\nparent = 0000:00:02.0\n");
        assertTrue(m.contains("needs 'default-pasid'"), m);
        m = error("[device m]\nparent = 0000:00:02.0\ndefault-pasid = 0\n");
        assertTrue(m.startsWith("t.ini:11:") && m.contains("default-pasid 0"), m);
        m = error("[device m]\nparent = nowhere\ndefault-pasid = 1\n");
        assertTrue(m.startsWith("t.ini:10:") && m.contains("parent nowhere is not a physical device"), m);
        m = error("[device m]\nparent = 0000:00:02.0\ndefault-pasid = 1\n[device n]\nparent = m\ndefault-pasid = 2\n");
        assertTrue(m.contains("parent m is not a physical device"), m);
        m = error("[unit smmu0]\nkind = arm-smmuv3\n[device m]\nparent = 0000:00:02.0\nunit = smmu0\ndefault-pasid = 1\n");
        assertTrue(m.contains("behind unit dmar0, not smmu0"), m);
    }

    @Test
    void theDefaultPasidFitsTheParentAndIsUniquePlatformWide() {
        String m = error("[device m]\nparent = 0000:00:02.0\ndefault-pasid = 1024\n");
        assertTrue(m.contains("default PASID 1024 is outside parent 0000:00:02.0's PASIDs [1, 2^10)"), m);
        m = error("[device m]\nparent = 0000:00:04.0\ndefault-pasid = 1\n");
        assertTrue(m.contains("[1, 2^0)"), "a parent without PASID cannot mediate: " + m);
        m = error("[device m]\nparent = 0000:00:02.0\ndefault-pasid = 5\n[device n]\nparent = 0000:00:02.0\n"
                + "default-pasid = 5\n");
        assertTrue(m.contains("default PASID 5 is already m's"), m);
    }

    @Test
    void theRecordItselfRefusesWhatTheFileCouldNotSay() throws IOException {
        Topology t = parse("");
        DeviceInfo parent = t.device("0000:00:02.0").orElseThrow();
        DeviceInfo withPasid = new DeviceInfo("m", "dmar0", parent.sourceId(), 4, false, false, false, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Topology(t.units(),
                List.of(parent, withPasid), List.of(new MediatedDevice("m", parent.name(), 1))));
        assertTrue(e.getMessage().contains("no PASID, ATS or PRI capability of its own"), e.getMessage());
        DeviceInfo elsewhere = new DeviceInfo("m", "dmar0", 0x99, 0, false, false, false, false);
        e = assertThrows(IllegalArgumentException.class, () -> new Topology(t.units(), List.of(parent, elsewhere),
                List.of(new MediatedDevice("m", parent.name(), 1))));
        assertTrue(e.getMessage().contains("with its parent's source-id"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Topology(t.units(), List.of(parent),
                List.of(new MediatedDevice("m", parent.name(), 1))));
        assertTrue(e.getMessage().contains("is not among the devices"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MediatedDevice("m", parent.name(), 0));
    }

    @Test
    void theEmbeddedDefaultHasTwoMediatedDevicesOfTheAccelerator() {
        Topology t = TopologyFile.embeddedDefault();
        assertEquals(2, t.mediated().size());
        for (MediatedDevice m : t.mediated()) {
            assertEquals("0000:00:02.0", m.parent());
            assertEquals(t.device(m.parent()).orElseThrow().sourceId(), t.device(m.name()).orElseThrow().sourceId());
        }
        assertEquals(List.of(0x100, 0x101), t.mediated().stream().map(MediatedDevice::defaultPasid).toList());
    }
}
