package io.nestor.core.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.core.topology.TopologyFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The component's configuration handling, outside a framework: what a topology file does and what a bad one does not. */
class PlatformComponentTest {

    @TempDir
    Path dir;

    private static List<String> unitNames(PlatformComponent c) {
        return c.units().stream().map(u -> u.name()).collect(Collectors.toList());
    }

    private Path file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void withoutConfigurationTheEmbeddedDefaultIsUsed() throws Exception {
        PlatformComponent c = new PlatformComponent();
        c.activate(Map.of());
        assertEquals(List.of("dmar0", "smmu0"), unitNames(c));
    }

    @Test
    void aGoodFileReplacesTheTopologyAndABadOneIsRefusedWithoutChange() throws Exception {
        PlatformComponent c = new PlatformComponent();
        c.activate(Map.of());
        Path good = file("good.ini", "[unit iommu9]\nkind = intel-vtd\n[device 0000:00:1f.0]\nunit = iommu9\n");
        c.modified(Map.of("file", good.toString()));
        assertEquals(List.of("iommu9"), unitNames(c));
        assertEquals(1, c.devices().size());

        Path bad = file("bad.ini", "[unit x]\nkind = intel-vtd\nbogus = 1\n");
        c.modified(Map.of("file", bad.toString()));
        assertEquals(List.of("iommu9"), unitNames(c), "a bad file changes nothing");
        c.modified(Map.of("file", dir.resolve("missing.ini").toString()));
        assertEquals(List.of("iommu9"), unitNames(c), "a missing file changes nothing");

        c.modified(Map.of());
        assertEquals(List.of("dmar0", "smmu0"), unitNames(c), "no file: back to the default");
    }

    @Test
    void activationWithABadFileFailsLoudly() throws Exception {
        Path bad = file("bad.ini", "[unit x]\n");
        PlatformComponent c = new PlatformComponent();
        assertThrows(TopologyFormatException.class, () -> c.activate(Map.of("file", bad.toString())));
    }

    @Test
    void theDriverWaitComesFromTheConfigurationAndABadValueIsRefused() throws Exception {
        PlatformComponent c = new PlatformComponent();
        c.activate(Map.of());
        assertEquals(PlatformComponent.DEFAULT_DRIVER_WAIT_MILLIS, c.registry().driverWaitMillis());
        c.modified(Map.of(PlatformComponent.DRIVER_WAIT_PROPERTY, "250"));
        assertEquals(250, c.registry().driverWaitMillis());
        c.modified(Map.of(PlatformComponent.DRIVER_WAIT_PROPERTY, "soon"));
        assertEquals(250, c.registry().driverWaitMillis(), "a bad value changes nothing");
        c.modified(Map.of(PlatformComponent.DRIVER_WAIT_PROPERTY, "-5"));
        assertEquals(250, c.registry().driverWaitMillis());
        assertThrows(IllegalArgumentException.class,
                () -> new PlatformComponent().activate(Map.of(PlatformComponent.DRIVER_WAIT_PROPERTY, "x")));
    }
}
