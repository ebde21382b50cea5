package io.nestor.core.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.core.cache.CacheStatistics;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.platform.PlatformComponent;
import io.nestor.core.platform.RecordingDriver;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shell commands over a real, activated platform component (no driver bound). */
class NestorCommandsTest {

    private PlatformComponent component;
    private NestorCommands commands;

    @BeforeEach
    void setUp() throws Exception {
        component = new PlatformComponent();
        component.activate(Map.of(PlatformComponent.DRIVER_WAIT_PROPERTY, "0"));
        commands = new NestorCommands(component);
    }

    private static Fault fault(long iova) {
        return new Fault(FaultStage.STAGE2, FaultReason.PERMISSION, 0, Access.WRITE, iova, iova, false, 0);
    }

    @Test
    void faultsListsEachUnitsRecentFaultsNewestFirst() {
        DriverRegistry r = component.registry();
        IommuUnit dmar0 = r.runtimeUnit("dmar0").orElseThrow();
        IommuUnit smmu0 = r.runtimeUnit("smmu0").orElseThrow();
        DeviceInfo vtdDevice = r.devices().stream().filter(d -> d.unit().equals("dmar0")).findFirst().orElseThrow();
        DeviceInfo smmuDevice = r.devices().stream().filter(d -> d.unit().equals("smmu0")).findFirst().orElseThrow();
        r.faults().fault(dmar0, vtdDevice, 4, fault(0x1000));
        r.faults().fault(dmar0, vtdDevice, -1, fault(0x2000));
        r.faults().fault(smmu0, smmuDevice, -1, fault(0x3000));

        List<FaultRow> dmar = commands.faults("dmar0", 20, false);
        assertEquals(List.of(0x2000L, 0x1000L), dmar.stream().map(f -> f.event().fault().iova()).toList());
        assertTrue(dmar.get(1).toString().contains("pasid 4"), dmar.get(1).toString());
        assertEquals(3, commands.faults("", 20, false).size());
        assertEquals(1, commands.faults("dmar0", 1, false).size());
        assertTrue(commands.faults("smmu0", 5, true).get(0).toString().contains("record: none"));
        assertEquals(Errno.ENOENT,
                assertThrows(IommuException.class, () -> commands.faults("nope", 1, false)).errno());
    }

    @Test
    void devicesShowsAMediatedDevicesParentAndDefaultPasid() {
        List<DeviceRow> all = commands.devices("");
        DeviceRow first = row(all, "5b0c6f1e-0001-4c5e-9a6d-000000000001");
        DeviceRow second = row(all, "5b0c6f1e-0001-4c5e-9a6d-000000000002");
        assertEquals("0000:00:02.0", first.mediation().orElseThrow().parent());
        assertEquals(0x100, first.mediation().orElseThrow().defaultPasid());
        assertEquals(0x101, second.mediation().orElseThrow().defaultPasid());
        assertTrue(first.toString().endsWith("mdev of 0000:00:02.0 pasid 0x100"), first.toString());
        assertTrue(first.toString().contains("sid 0x0010"), "the parent's RID: " + first);
        assertTrue(second.toString().endsWith("mdev of 0000:00:02.0 pasid 0x101"), second.toString());

        DeviceRow parent = row(all, "0000:00:02.0");
        assertTrue(parent.mediation().isEmpty());
        assertEquals("0000:00:02.0   dmar0    sid 0x0010  pasid:20+exec+priv ats pri", parent.toString());
        assertEquals(2, all.stream().filter(r -> r.mediation().isPresent()).count());
        assertTrue(commands.devices("smmu0").stream().allMatch(r -> r.mediation().isEmpty()
                && !r.toString().contains("mdev")), "smmu0 has no mediated device");
        assertEquals(2, commands.devices("dmar0").stream().filter(r -> r.mediation().isPresent()).count());
    }

    private static DeviceRow row(List<DeviceRow> rows, String name) {
        return rows.stream().filter(r -> r.device().name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void iotlbShowsEveryCacheAndFlushCountsAnInvalidation() {
        List<CacheStatistics> before = commands.iotlb(false, "", -1, -2);
        assertEquals(List.of("iotlb", "walk", "config"), before.stream().map(CacheStatistics::cache).toList());

        List<CacheStatistics> after = commands.iotlb(true, "dmar0", 5, 3);
        assertEquals(before.get(0).invalidations() + 1, after.get(0).invalidations());
        List<CacheStatistics> all = commands.iotlb(true, "", -1, -2);
        assertEquals(after.get(0).invalidations() + 2, all.get(0).invalidations(), "one per unit");
    }

    @Test
    void iotlbFlushRefusesAScopeWithoutItsParent() {
        assertEquals(Errno.EINVAL,
                assertThrows(IommuException.class, () -> commands.iotlb(true, "dmar0", -1, 3)).errno());
        assertEquals(Errno.EINVAL,
                assertThrows(IommuException.class, () -> commands.iotlb(true, "", 5, -2)).errno());
        assertEquals(Errno.EINVAL,
                assertThrows(IommuException.class, () -> commands.iotlb(true, "dmar0", 0x10000, -2)).errno());
    }

    @Test
    void strictSwitchesTheEnginesModeAndRefusesOtherWords() {
        assertEquals(false, commands.strict("").on());
        assertEquals(true, commands.strict("on").on());
        assertTrue(component.registry().engine().isStrict());
        assertTrue(commands.strict("").toString().startsWith("strict mode on, 0 stale"));
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> commands.strict("maybe")).errno());
        assertEquals(false, commands.strict("off").on());
    }

    @Test
    void translateNamesTheDeviceAndParsesAddressAndAccess() {
        assertEquals(0x1234L, NestorCommands.parseAddress("0x1234"));
        assertEquals(4660L, NestorCommands.parseAddress("4660"));
        assertEquals(Access.READ | Access.WRITE | Access.PRIV, NestorCommands.parseAccess("rwp"));
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> NestorCommands.parseAccess("rq")).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> NestorCommands.parseAccess("p")).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> NestorCommands.parseAddress("0xZZ")).errno());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class,
                () -> commands.translate(-1, "r", "0000:09:09.9", "0x1000")).errno());
        // No driver is bound: decoding the configuration answers EAGAIN naming the unit.
        IommuException noDriver = assertThrows(IommuException.class,
                () -> commands.translate(-1, "r", "0000:00:02.0", "0x1000"));
        assertEquals(Errno.EAGAIN, noDriver.errno());
        assertTrue(noDriver.getMessage().contains("dmar0"), noDriver.getMessage());
    }

    @Test
    void swapSwitchesAUnitToAnotherRegisteredVersionAndBack() throws Exception {
        DriverRegistry r = component.registry();
        r.addDriver(new DriverBinding(new RecordingDriver("intel-vtd", 1), "intel-vtd", "io.nestor.driver.vtd", 5, "1.0.0", 0, 100));
        r.addDriver(new DriverBinding(new RecordingDriver("intel-vtd", 1), "intel-vtd", "io.nestor.driver.vtd", 6, "1.1.0", 0, 101));
        assertEquals("1.0.0", component.unit("dmar0").orElseThrow().driverVersion(), "the older service ranks first");

        SwapReport report = commands.swap("dmar0", "1.1.0");
        assertEquals("1.0.0", report.fromVersion());
        assertEquals("1.1.0", report.toVersion());
        assertEquals(List.of("dmar0"), report.units());
        assertEquals("1.1.0", component.unit("dmar0").orElseThrow().driverVersion());
        assertTrue(report.toString().contains("pause"), report.toString());

        IommuException unknown = assertThrows(IommuException.class, () -> commands.swap("dmar0", "9.9.9"));
        assertEquals(Errno.ENOENT, unknown.errno());
        assertEquals("1.1.0", component.unit("dmar0").orElseThrow().driverVersion(), "a refused swap changes nothing");

        assertEquals("1.0.0", commands.swap("dmar0", "-").toVersion());
        assertEquals(Errno.EOPNOTSUPP,
                assertThrows(IommuException.class, () -> commands.swap("io.nestor.driver.vtd", "/tmp/x.jar")).errno(),
                "bundle updates need a framework");
    }
}
