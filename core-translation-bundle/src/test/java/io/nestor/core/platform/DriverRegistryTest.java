package io.nestor.core.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.platform.DriverStatus;
import io.nestor.api.translation.Access;
import io.nestor.core.translate.TranslationEngine;
import io.nestor.core.translate.TranslationResult;
import java.util.stream.Collectors;
import io.nestor.api.platform.UnitState;
import io.nestor.api.platform.UnitStatus;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.unit.DriverBinding;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DriverRegistryTest {

    private DriverRegistry registry;
    private final List<String> events = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        registry = new DriverRegistry(TopologyFile.embeddedDefault(), new SparsePhysicalMemory(48));
        registry.addListener(unit -> events.add(String.valueOf(unit)));
    }

    private static DriverBinding binding(RecordingDriver d, String version, int ranking, long serviceId) {
        return new DriverBinding(d, d.kind(), "test." + d.kind(), 10 + serviceId, version, ranking, serviceId);
    }

    private UnitStatus unit(String name) {
        return registry.unit(name).orElseThrow();
    }

    @Test
    void unitsStartUnavailableAndBindToTheirKind() {
        assertEquals(UnitState.UNAVAILABLE, unit("dmar0").state());
        assertEquals("", unit("dmar0").driverVersion());

        RecordingDriver vtd = new RecordingDriver("intel-vtd", 0x11);
        registry.addDriver(binding(vtd, "1.0.0", 0, 1));

        assertEquals(UnitState.ACTIVE, unit("dmar0").state());
        assertEquals("1.0.0", unit("dmar0").driverVersion());
        assertEquals(0x11L, unit("dmar0").hwInfo().registers().get("id"));
        assertEquals(UnitState.UNAVAILABLE, unit("smmu0").state(), "a VT-d driver must not bind an SMMU unit");
        assertEquals(List.of("reset dmar0", "hwInfo dmar0"), vtd.calls);
        assertEquals(List.of("dmar0"), events);
    }

    @Test
    void resetRunsOnceSoARebindFindsTheRegistersAsLeft() {
        RecordingDriver v1 = new RecordingDriver("intel-vtd", 0x11);
        registry.addDriver(binding(v1, "1.0.0", 0, 1));
        registry.runtimeUnit("dmar0").orElseThrow().registers().write64(0x20, 0xabc000L); // state a driver wrote
        registry.removeDriver(1);
        assertEquals(UnitState.UNAVAILABLE, unit("dmar0").state());
        assertNotNull(unit("dmar0").hwInfo(), "hw_info comes from registers, which outlive the driver");

        RecordingDriver v2 = new RecordingDriver("intel-vtd", 0x22);
        registry.addDriver(binding(v2, "1.1.0", 0, 2));
        assertEquals(List.of("hwInfo dmar0"), v2.calls, "no second reset");
        assertEquals(0x11L, unit("dmar0").hwInfo().registers().get("id"));
        assertEquals(0xabc000L, registry.runtimeUnit("dmar0").orElseThrow().registers().read64(0x20));
        assertEquals("1.1.0", unit("dmar0").driverVersion());
        assertEquals(List.of("dmar0", "dmar0", "dmar0"), events);
    }

    @Test
    void highestRankingWinsThenOldestServiceAndTheNextTakesOverWhenItLeaves() {
        RecordingDriver a = new RecordingDriver("intel-vtd", 1);
        RecordingDriver b = new RecordingDriver("intel-vtd", 2);
        RecordingDriver c = new RecordingDriver("intel-vtd", 3);
        registry.addDriver(binding(a, "1.0.0", 0, 5));
        registry.addDriver(binding(b, "2.0.0", 10, 6));
        registry.addDriver(binding(c, "3.0.0", 10, 7));
        assertEquals("2.0.0", unit("dmar0").driverVersion(), "ranking 10, older service id");
        registry.removeDriver(6);
        assertEquals("3.0.0", unit("dmar0").driverVersion());
        registry.removeDriver(7);
        assertEquals("1.0.0", unit("dmar0").driverVersion());
        registry.removeDriver(5);
        assertEquals(UnitState.UNAVAILABLE, unit("dmar0").state());
    }

    @Test
    void aDriverThatFailsToBindIsSkipped() {
        RecordingDriver broken = new RecordingDriver("arm-smmuv3", 1);
        broken.failReset = true;
        registry.addDriver(binding(broken, "9.0.0", 100, 1));
        assertEquals(UnitState.UNAVAILABLE, unit("smmu0").state());
        RecordingDriver good = new RecordingDriver("arm-smmuv3", 2);
        registry.addDriver(binding(good, "1.0.0", 0, 2));
        assertEquals("1.0.0", unit("smmu0").driverVersion());
    }

    @Test
    void driversReportTheirBoundUnits() {
        registry.addDriver(binding(new RecordingDriver("intel-vtd", 1), "1.0.0", 0, 1));
        registry.addDriver(binding(new RecordingDriver("intel-vtd", 2), "0.9.0", -1, 2));
        registry.addDriver(binding(new RecordingDriver("arm-smmuv3", 3), "1.0.0", 0, 3));
        List<DriverStatus> drivers = registry.drivers();
        assertEquals(3, drivers.size());
        assertEquals(List.of("dmar0"), drivers.get(0).units());
        assertTrue(drivers.get(1).units().isEmpty());
        assertEquals(List.of("smmu0"), drivers.get(2).units());
    }

    @Test
    void theBoundDriverDecodesAndALeavingDriversConfigurationsAreDroppedWhileIotlbHitsContinue() {
        RecordingDriver v1 = new RecordingDriver("intel-vtd", 1);
        registry.addDriver(binding(v1, "1.0.0", 0, 1));
        int unit = registry.runtimeUnit("dmar0").orElseThrow().index();
        int sid = 0x0010; // 0000:00:02.0 in the default topology
        TranslationEngine engine = registry.engine();
        TranslationResult r = new TranslationResult();

        assertTrue(engine.translate(unit, sid, DeviceInfo.NO_PASID, 0x1234_5000L, Access.READ, r), r.toString());
        assertEquals(0x1234_5000L, r.outputAddress(), "translation disabled after reset: bypass");
        assertEquals(List.of("decode dmar0 0000:00:02.0 -1"),
                v1.calls.stream().filter(c -> c.startsWith("decode")).collect(Collectors.toList()));
        assertNotNull(engine.caches().configCache().lookup(unit, sid, DeviceInfo.NO_PASID));

        registry.removeDriver(1);
        assertNull(engine.caches().configCache().lookup(unit, sid, DeviceInfo.NO_PASID),
                "the old driver's decoded configuration must not outlive it");
        // A miss needs a driver: EAGAIN naming the unit.
        IommuException e = assertThrows(IommuException.class,
                () -> engine.translate(unit, sid, DeviceInfo.NO_PASID, 0x9999_9000L, Access.READ, r));
        assertEquals(Errno.EAGAIN, e.errno());
        assertTrue(e.getMessage().contains("dmar0"), e.getMessage());

        RecordingDriver v2 = new RecordingDriver("intel-vtd", 2);
        registry.addDriver(binding(v2, "1.1.0", 0, 2));
        assertTrue(engine.translate(unit, sid, DeviceInfo.NO_PASID, 0x9999_9000L, Access.READ, r));
        assertTrue(v2.calls.contains("decode dmar0 0000:00:02.0 -1"), "the new driver decodes again");
    }

    @Test
    void aSourceIdWithNoDeviceIsRefusedWithEnodev() {
        registry.addDriver(binding(new RecordingDriver("intel-vtd", 1), "1.0.0", 0, 1));
        IommuException e = assertThrows(IommuException.class, () -> registry.engine()
                .translate(0, 0x7777, DeviceInfo.NO_PASID, 0, Access.READ, new TranslationResult()));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("0x7777"), e.getMessage());
    }

    @Test
    void removingAnUnknownServiceChangesNothing() {
        registry.addDriver(binding(new RecordingDriver("intel-vtd", 1), "1.0.0", 0, 1));
        events.clear();
        registry.removeDriver(99);
        assertEquals(UnitState.ACTIVE, unit("dmar0").state());
        assertTrue(events.isEmpty());
    }

    @Test
    void statisticsCountTheCachesAndEachUnitsFaults() {
        RecordingDriver vtd = new RecordingDriver("intel-vtd", 1);
        registry.addDriver(binding(vtd, "1.0.0", 0, 1));
        TranslationResult r = new TranslationResult();
        for (int i = 0; i < 3; i++) {
            registry.engine().translate(0, 0x10, DeviceInfo.NO_PASID, 0x1000, Access.READ, r);
        }
        DeviceInfo device = registry.devices().get(0);
        registry.faults().fault(registry.runtimeUnit("dmar0").orElseThrow(), device, -1,
                io.nestor.api.translation.Fault.config(0x31, Access.READ, 0x1000));

        io.nestor.api.platform.PlatformStatistics s = registry.statistics();
        assertEquals(List.of("iotlb", "walk", "config"), s.caches().stream().map(c -> c.cache()).toList());
        assertEquals(2, s.caches().get(0).hits(), "the first request walked, the next two hit");
        assertEquals(1L, s.faultsByUnit().get("dmar0"));
        assertEquals(0L, s.faultsByUnit().get("smmu0"));
        assertEquals(false, s.strict());
    }
}
