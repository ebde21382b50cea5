package io.nestor.itests;

import static io.nestor.itests.support.Eventually.assertEventually;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import io.nestor.api.driver.IommuDriver;
import io.nestor.api.platform.DriverStatus;
import io.nestor.api.platform.Platform;
import io.nestor.api.platform.UnitState;
import io.nestor.api.platform.UnitStatus;
import io.nestor.itests.support.ExternalGrpcClient;
import io.nestor.itests.support.Services;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;

/**
 * A vendor driver bundle can leave and come back while everything else keeps running, as an
 * operator does with {@code stop}, {@code start} and {@code update} in the shell:
 * <ul>
 *   <li>stopping the VT-d driver makes {@code dmar0} {@code UNAVAILABLE} in {@link Platform#units()}
 *       and in {@code ListUnits}, turns gRPC health {@code NOT_SERVING}, and leaves the SMMUv3
 *       units active; starting it restores all of it;</li>
 *   <li>updating either driver bundle rebinds its units to a new driver registration without any
 *       framework error.</li>
 * </ul>
 * Every test leaves both drivers started.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DriverLifecycleIT {

    private static final String DMAR0 = "dmar0";

    @Inject
    private BundleContext context;

    private final List<FrameworkEvent> frameworkErrors = new ArrayList<>();
    private final FrameworkListener errorRecorder = event -> {
        if (event.getType() == FrameworkEvent.ERROR) {
            synchronized (frameworkErrors) {
                frameworkErrors.add(event);
            }
        }
    };

    @Configuration
    public Option[] configuration() {
        return NestorPlatformOptions.platform();
    }

    @Before
    public void allUnitsActive() {
        context.addFrameworkListener(errorRecorder);
        Platform platform = platform();
        assertEventually("units not ACTIVE before the test", List.of(), () -> notActive(platform));
    }

    @After
    public void restartDrivers() throws Exception {
        context.removeFrameworkListener(errorRecorder);
        for (String bsn : List.of(NestorPlatformOptions.VTD_DRIVER_BSN, NestorPlatformOptions.SMMUV3_DRIVER_BSN)) {
            Bundle driver = bundle(bsn);
            if (driver.getState() != Bundle.ACTIVE) {
                driver.start();
            }
        }
    }

    @Test
    public void stoppingTheVtdDriverMakesDmar0UnavailableUntilItStartsAgain() throws Exception {
        Platform platform = platform();
        assertEquals("kind of " + DMAR0, IommuDriver.KIND_INTEL_VTD, platform.unit(DMAR0).orElseThrow().kind());
        Bundle vtd = bundle(NestorPlatformOptions.VTD_DRIVER_BSN);

        try (ExternalGrpcClient grpc = new ExternalGrpcClient(NestorPlatformOptions.grpcPort())) {
            assertEventually("health before the stop", "SERVING", () -> grpc.health(""));
            assertEquals("UNIT_STATE_ACTIVE", grpc.unitStates().get(DMAR0));

            vtd.stop();

            assertEventually(DMAR0 + " in Platform.units()", UnitState.UNAVAILABLE,
                    () -> stateIn(platform.units(), DMAR0));
            assertEquals("driver version of an unbound unit", "", platform.unit(DMAR0).orElseThrow().driverVersion());
            assertEventually(DMAR0 + " in ListUnits", "UNIT_STATE_UNAVAILABLE", () -> grpc.unitStates().get(DMAR0));
            assertEventually("health with VT-d stopped", "NOT_SERVING", () -> grpc.health(""));
            assertEquals("health of nestor.v1.Platform with VT-d stopped", "NOT_SERVING",
                    grpc.health("nestor.v1.Platform"));
            for (UnitStatus unit : platform.units()) {
                if (unit.kind().equals(IommuDriver.KIND_ARM_SMMUV3)) {
                    assertEquals(unit.name() + " must not depend on the VT-d driver", UnitState.ACTIVE, unit.state());
                }
            }

            vtd.start();

            assertEventually(DMAR0 + " in Platform.units()", UnitState.ACTIVE, () -> stateIn(platform.units(), DMAR0));
            assertEquals("driver version after the restart", vtd.getVersion().toString(),
                    platform.unit(DMAR0).orElseThrow().driverVersion());
            assertEventually(DMAR0 + " in ListUnits", "UNIT_STATE_ACTIVE", () -> grpc.unitStates().get(DMAR0));
            assertEventually("health after the restart", "SERVING", () -> grpc.health(""));
        }
        assertNoFrameworkErrors();
    }

    @Test
    public void updatingEitherDriverBundleRebindsItsUnits() throws Exception {
        Platform platform = platform();
        for (String[] driver : List.of(
                new String[] {IommuDriver.KIND_INTEL_VTD, NestorPlatformOptions.VTD_DRIVER_BSN},
                new String[] {IommuDriver.KIND_ARM_SMMUV3, NestorPlatformOptions.SMMUV3_DRIVER_BSN})) {
            String kind = driver[0];
            Bundle bundle = bundle(driver[1]);
            DriverStatus before = driverOf(platform, kind);
            assertTrue(kind + " driver serves no unit before the update", !before.units().isEmpty());

            bundle.update(); // re-reads the bundle's file: location, stops, refreshes, starts

            assertEquals(driver[1] + " state after update", Bundle.ACTIVE, bundle.getState());
            assertEventually(kind + " driver registration replaced", true,
                    () -> servingDriver(platform, kind).map(d -> d.serviceId() != before.serviceId()).orElse(false));
            DriverStatus after = driverOf(platform, kind);
            assertEquals("bundle of the updated " + kind + " driver", bundle.getBundleId(), after.bundleId());
            assertNotEquals(before.serviceId(), after.serviceId());
            assertEventually(kind + " units bound again", before.units(),
                    () -> servingDriver(platform, kind).map(DriverStatus::units).orElse(List.of()));
            assertEventually("units not ACTIVE after updating " + driver[1], List.of(), () -> notActive(platform));
        }
        try (ExternalGrpcClient grpc = new ExternalGrpcClient(NestorPlatformOptions.grpcPort())) {
            assertEventually("health after the updates", "SERVING", () -> grpc.health(""));
            Map<String, String> units = grpc.unitStates();
            assertEquals("units over gRPC after the updates", List.of(),
                    units.entrySet().stream().filter(e -> !e.getValue().equals("UNIT_STATE_ACTIVE"))
                            .map(Map.Entry::getKey).collect(Collectors.toList()));
        }
        assertNoFrameworkErrors();
    }

    // ---- helpers ------------------------------------------------------------------------------

    private Platform platform() {
        return Services.await(context, Platform.class, null);
    }

    private static UnitState stateIn(List<UnitStatus> units, String name) {
        return units.stream().filter(u -> u.name().equals(name)).map(UnitStatus::state).findFirst().orElse(null);
    }

    private static List<String> notActive(Platform platform) {
        return platform.units().stream().filter(u -> u.state() != UnitState.ACTIVE)
                .map(UnitStatus::name).collect(Collectors.toList());
    }

    /** The one driver of {@code kind} that serves units; fails when there is not exactly one. */
    private static DriverStatus driverOf(Platform platform, String kind) {
        return servingDriver(platform, kind).orElseThrow(() -> new AssertionError(
                "not exactly one driver of kind " + kind + " serves units: " + platform.drivers()));
    }

    /** The driver of {@code kind} serving units, if exactly one does (not so during a swap). */
    private static Optional<DriverStatus> servingDriver(Platform platform, String kind) {
        List<DriverStatus> serving = platform.drivers().stream()
                .filter(d -> d.kind().equals(kind) && !d.units().isEmpty())
                .collect(Collectors.toList());
        return serving.size() == 1 ? Optional.of(serving.get(0)) : Optional.empty();
    }

    private Bundle bundle(String symbolicName) {
        return Arrays.stream(context.getBundles())
                .filter(b -> symbolicName.equals(b.getSymbolicName()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no bundle " + symbolicName));
    }

    private void assertNoFrameworkErrors() {
        synchronized (frameworkErrors) {
            assertEquals("framework errors", List.of(), frameworkErrors.stream()
                    .map(e -> e.getBundle().getSymbolicName() + ": " + e.getThrowable())
                    .collect(Collectors.toList()));
        }
    }
}
