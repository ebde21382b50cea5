package io.nestor.core.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitFeatures;
import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class TopologyFileTest {

    private static Topology defaultTopology() {
        return TopologyFile.embeddedDefault();
    }

    private static Topology parse(String text) throws IOException {
        return TopologyFile.parse(new StringReader(text), "test.ini");
    }

    @Test
    void defaultTopologyHasOneVtdAndOneSmmuUnitWithMixedDevices() throws IOException {
        Topology t = defaultTopology();
        assertEquals(2, t.units().size());
        UnitSpec dmar0 = t.unit("dmar0").orElseThrow();
        assertEquals("intel-vtd", dmar0.kind());
        assertTrue(dmar0.features().nesting());
        assertEquals(20, dmar0.features().pasidBits());
        assertEquals(57, dmar0.features().inputAddressBits());
        assertEquals(UnitFeatures.SIZE_4K | UnitFeatures.SIZE_2M | UnitFeatures.SIZE_1G, dmar0.features().pageSizes());
        UnitSpec smmu0 = t.unit("smmu0").orElseThrow();
        assertEquals("arm-smmuv3", smmu0.kind());
        assertTrue(smmu0.features().supportsPageSize(UnitFeatures.SIZE_16K));
        assertTrue(smmu0.features().supportsPageSize(UnitFeatures.SIZE_64K));

        // Some devices PASID-, ATS- and PRI-capable, some not, behind each unit.
        assertTrue(t.devices().stream().anyMatch(d -> d.unit().equals("dmar0") && d.pasidCapable() && d.ats() && d.pri()));
        assertTrue(t.devices().stream().anyMatch(d -> d.unit().equals("dmar0") && !d.pasidCapable() && !d.ats()));
        assertTrue(t.devices().stream().anyMatch(d -> d.unit().equals("smmu0") && d.pasidCapable() && d.pri()));
        assertTrue(t.devices().stream().anyMatch(d -> d.unit().equals("smmu0") && !d.pasidCapable()));
    }

    @Test
    void pciAddressGivesTheRidAsSourceId() throws IOException {
        Topology t = defaultTopology();
        DeviceInfo d = t.device("0000:01:00.1").orElseThrow();
        assertEquals(0x0101, d.sourceId()); // bus 1, device 0, function 1
        assertEquals(0x0010, t.device("0000:00:02.0").orElseThrow().sourceId()); // 2 << 3
        assertEquals(0x800, t.device("smmu0-dma0").orElseThrow().sourceId());
    }

    @Test
    void unknownKeyIsAnErrorNamingTheLine() {
        TopologyFormatException e = assertThrows(TopologyFormatException.class,
                () -> parse("[unit u0]\nkind = intel-vtd\npasid-bitz = 20\n"));
        assertTrue(e.getMessage().startsWith("test.ini:3:"), e.getMessage());
        assertTrue(e.getMessage().contains("pasid-bitz"), e.getMessage());
    }

    @Test
    void malformedValuesAreRejectedWithTheirText() {
        assertTrue(assertThrows(TopologyFormatException.class,
                () -> parse("[unit u0]\nkind = intel-vtd\nnesting = yes\n")).getMessage().contains("'yes'"));
        assertTrue(assertThrows(TopologyFormatException.class,
                () -> parse("[unit u0]\nkind = intel-vtd\npage-sizes = 4K, 3M\n")).getMessage().contains("3M"));
        assertTrue(assertThrows(TopologyFormatException.class,
                () -> parse("[unit u0]\nkind = intel-vtd\npasid-bits = 21\n")).getMessage().contains("21"));
        assertTrue(assertThrows(TopologyFormatException.class,
                () -> parse("[unit u0]\nnesting = true\n")).getMessage().contains("needs 'kind'"));
        assertTrue(assertThrows(TopologyFormatException.class,
                () -> parse("kind = intel-vtd\n")).getMessage().contains("outside"));
    }

    @Test
    void deviceRulesAreChecked() {
        String unit = "[unit u0]\nkind = intel-vtd\n";
        assertTrue(assertThrows(TopologyFormatException.class,
                () -> parse(unit + "[device 0000:00:01.0]\nunit = nope\n")).getMessage().contains("unknown unit nope"));
        assertTrue(assertThrows(TopologyFormatException.class,
                () -> parse(unit + "[device 0000:00:01.0]\nunit = u0\nats = false\npri = true\n"))
                .getMessage().contains("pri needs ats"));
        assertTrue(assertThrows(TopologyFormatException.class,
                () -> parse(unit + "[device 0000:00:01.0]\nunit = u0\npasid-exec = true\n"))
                .getMessage().contains("pasid-exec"));
        assertTrue(assertThrows(TopologyFormatException.class,
                () -> parse(unit + "[device dev0]\nunit = u0\n")).getMessage().contains("needs a source-id"));
        assertTrue(assertThrows(TopologyFormatException.class,
                () -> parse(unit + "[device 0000:00:01.0]\nunit = u0\n[device a]\nunit = u0\nsource-id = 8\n"))
                .getMessage().contains("already used"));
        assertTrue(assertThrows(TopologyFormatException.class,
                () -> parse(unit + "[device a]\nunit = u0\nsource-id = 0x10000\n"))
                .getMessage().contains("does not fit"));
    }

    @Test
    void smmuStreamIdsMayBeWiderThanAPciRid() throws IOException {
        Topology t = parse("[unit s0]\nkind = arm-smmuv3\nstream-id-bits = 20\n[device a]\nunit = s0\nsource-id = 0x80000\n");
        assertEquals(0x80000, t.devices().get(0).sourceId());
        assertFalse(t.devices().get(0).pasidCapable());
    }

    @Test
    void duplicateNamesAreRejected() {
        assertThrows(TopologyFormatException.class,
                () -> parse("[unit u0]\nkind = intel-vtd\n[unit u0]\nkind = intel-vtd\n"));
        assertThrows(TopologyFormatException.class,
                () -> parse("[unit u0]\nkind = intel-vtd\nkind = arm-smmuv3\n"));
    }
}
