package io.nestor.itests;

import static io.nestor.itests.support.Eventually.assertEventually;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import io.nestor.api.platform.Platform;
import io.nestor.api.platform.UnitStatus;
import io.nestor.itests.support.ExternalGrpcClient;
import io.nestor.itests.support.Services;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * The gateway serves real gRPC over a loopback TCP port: a plain grpc-java client outside OSGi
 * (see {@link ExternalGrpcClient}) gets {@code SERVING} from the standard health service and the
 * same units from {@code nestor.v1.Platform/ListUnits} as the {@link Platform} service reports.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GatewayHealthIT {

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] configuration() {
        return NestorPlatformOptions.platform();
    }

    @Test
    public void healthIsServingOverLoopback() {
        try (ExternalGrpcClient grpc = new ExternalGrpcClient(NestorPlatformOptions.grpcPort())) {
            assertEventually("health of the server", "SERVING", () -> grpc.health(""));
            assertEquals("health of nestor.v1.Platform", "SERVING", grpc.health("nestor.v1.Platform"));
        }
    }

    @Test
    public void listUnitsMatchesThePlatformService() {
        Platform platform = Services.await(context, Platform.class, null);
        Map<String, String> expected = new LinkedHashMap<>();
        for (UnitStatus unit : platform.units()) {
            expected.put(unit.name(), "UNIT_STATE_" + unit.state().name());
        }
        assertFalse("the default topology has units", expected.isEmpty());
        try (ExternalGrpcClient grpc = new ExternalGrpcClient(NestorPlatformOptions.grpcPort())) {
            assertEventually("health of the server", "SERVING", () -> grpc.health(""));
            assertEquals("ListUnits over gRPC", expected, grpc.unitStates());
        }
    }
}
