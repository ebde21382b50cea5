package io.nestor.itests;

import static io.nestor.itests.support.Eventually.assertEventually;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.nestor.api.platform.Platform;
import io.nestor.api.platform.UnitState;
import io.nestor.itests.support.RebuiltBundle;
import io.nestor.itests.support.Services;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * The operator's {@code nestor:swap}, run through the Gogo command processor as the shell runs it:
 * a driver bundle updated to a rebuilt bundle of a new version, and a unit switched between two
 * installed versions of its driver. The unit keeps its registers (its state) across both.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SwapCommandIT {

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] configuration() {
        return NestorPlatformOptions.platform();
    }

    private String run(String command) throws Exception {
        CommandProcessor processor = Services.await(context, CommandProcessor.class, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(InputStream.nullInputStream(), print, print);
        try {
            Object result = session.execute(command);
            return String.valueOf(result);
        } finally {
            session.close();
        }
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    @Test
    public void swapUpdatesADriverBundleToARebuiltVersionAndTheUnitKeepsItsRegisters() throws Exception {
        Platform platform = Services.await(context, Platform.class, null);
        assertEventually("dmar0 active", UnitState.ACTIVE, () -> platform.unit("dmar0").orElseThrow().state());
        var registersBefore = platform.unit("dmar0").orElseThrow().hwInfo().registers();
        Bundle vtd = bundle(NestorPlatformOptions.VTD_DRIVER_BSN);
        Path dir = Files.createTempDirectory("nestor-swap");
        Path rebuilt = RebuiltBundle.withVersion(vtd, "0.9.0.swapped", dir);

        String report = run("nestor:swap " + NestorPlatformOptions.VTD_DRIVER_BSN + " " + rebuilt.toUri());

        assertTrue(report, report.contains("-> 0.9.0.swapped"));
        assertTrue(report, report.contains("units dmar0"));
        assertTrue(report, report.matches("(?s).*pause [0-9.]+ ms.*"));
        assertEquals("0.9.0.swapped", platform.unit("dmar0").orElseThrow().driverVersion());
        assertEquals(UnitState.ACTIVE, platform.unit("dmar0").orElseThrow().state());
        assertEquals("CAP / ECAP / VER survive the swap", registersBefore,
                platform.unit("dmar0").orElseThrow().hwInfo().registers());
    }

    @Test
    public void swapSwitchesAUnitBetweenTwoInstalledVersionsOfItsDriver() throws Exception {
        Platform platform = Services.await(context, Platform.class, null);
        Bundle smmu = bundle(NestorPlatformOptions.SMMUV3_DRIVER_BSN);
        assertEventually("smmu0 active", UnitState.ACTIVE, () -> platform.unit("smmu0").orElseThrow().state());
        String original = platform.unit("smmu0").orElseThrow().driverVersion();
        Path dir = Files.createTempDirectory("nestor-swap");
        Path alternative = RebuiltBundle.withVersion(smmu, "0.8.0.alt", dir);
        Bundle alt = context.installBundle(alternative.toUri().toString());
        try {
            alt.start();
            assertEventually("two SMMUv3 drivers registered", 2L, () -> platform.drivers().stream()
                    .filter(d -> d.kind().equals("arm-smmuv3")).count());
            assertEquals("the older registration keeps the unit", original,
                    platform.unit("smmu0").orElseThrow().driverVersion());

            String report = run("nestor:swap smmu0 0.8.0.alt");
            assertTrue(report, report.startsWith("smmu0: driver " + original + " -> 0.8.0.alt"));
            assertEquals("0.8.0.alt", platform.unit("smmu0").orElseThrow().driverVersion());
            String units = run("nestor:units");
            assertTrue(units, units.matches("(?s).*smmu0 +arm-smmuv3 +ACTIVE +driver 0\\.8\\.0\\.alt.*"));

            report = run("nestor:swap smmu0 -");
            assertTrue(report, report.contains("-> " + original));
        } finally {
            alt.uninstall();
        }
        assertEventually("smmu0 back on its driver", original, () -> platform.unit("smmu0").orElseThrow().driverVersion());
    }
}
