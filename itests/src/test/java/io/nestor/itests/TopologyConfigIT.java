package io.nestor.itests;

import static io.nestor.itests.support.Eventually.assertEventually;
import static org.junit.Assert.assertEquals;

import io.nestor.api.platform.Platform;
import io.nestor.api.platform.UnitStatus;
import io.nestor.itests.support.Services;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * An operator replaces the embedded default topology with a file through Config Admin (PID
 * {@code io.nestor.topology}, property {@code file}); the new units bind to the drivers already
 * present, and deleting the configuration brings the default back.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TopologyConfigIT {

    private static final String PID = "io.nestor.topology";

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] configuration() {
        return NestorPlatformOptions.platform();
    }

    @Test
    public void aTopologyFileFromConfigAdminReplacesTheDefaultAndDeletingItRestoresIt() throws Exception {
        Platform platform = Services.await(context, Platform.class, null);
        ConfigurationAdmin configAdmin = Services.await(context, ConfigurationAdmin.class, null);
        assertEventually("default units", "dmar0:ACTIVE,smmu0:ACTIVE", () -> units(platform));

        Path file = Files.createTempFile("nestor-topology", ".ini");
        Files.writeString(file, String.join("\n",
                "[unit dmar7]", "kind = intel-vtd", "pasid-bits = 16", "input-address-bits = 48",
                "[device 0000:05:00.0]", "unit = dmar7", "pasid-bits = 16", "ats = true",
                "[unit smmu7]", "kind = arm-smmuv3", "page-sizes = 64K, 512M",
                "[device s0]", "unit = smmu7", "source-id = 0x42", ""), StandardCharsets.UTF_8);
        org.osgi.service.cm.Configuration config = configAdmin.getConfiguration(PID, "?");
        try {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("file", file.toString());
            config.update(props);

            assertEventually("units from the file", "dmar7:ACTIVE,smmu7:ACTIVE", () -> units(platform));
            assertEquals(List.of("0000:05:00.0", "s0"),
                    platform.devices().stream().map(d -> d.name()).collect(Collectors.toList()));
            UnitStatus dmar7 = platform.unit("dmar7").orElseThrow();
            assertEquals(16, dmar7.hwInfo().maxPasidLog2());
        } finally {
            config.delete();
            Files.deleteIfExists(file);
        }
        assertEventually("default units again", "dmar0:ACTIVE,smmu0:ACTIVE", () -> units(platform));
    }

    private static String units(Platform platform) {
        return platform.units().stream().map(u -> u.name() + ":" + u.state()).collect(Collectors.joining(","));
    }

}
