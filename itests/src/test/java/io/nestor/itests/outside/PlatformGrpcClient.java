package io.nestor.itests.outside;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.nestor.gateway.grpc.proto.ListUnitsRequest;
import io.nestor.gateway.grpc.proto.PlatformGrpc;
import io.nestor.gateway.grpc.proto.Unit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A plain gRPC client of the gateway, as a VMM would run it: grpc-java and the generated
 * {@code nestor.v1} stubs on a flat class path, talking HTTP/2 to the real loopback port.
 *
 * <p><b>Never load this class from the Pax Exam probe bundle.</b> Inside OSGi the probe cannot see
 * {@code io.grpc} (the gateway embeds grpc privately and nothing exports it), and boot-delegating
 * {@code io.grpc.*} would make the gateway bundle load the class path's grpc instead of its own.
 * The probe reaches it through {@code ExternalGrpcClient}, which loads it from the failsafe JVM's
 * system class loader, where test-classes and the test dependencies are. Its API therefore uses
 * only {@code java.*} types, which both sides share.
 */
public final class PlatformGrpcClient implements AutoCloseable {

    private static final long DEADLINE_SECONDS = 10;

    private final LoopbackChannel loopback;
    private final ManagedChannel channel;

    public PlatformGrpcClient(int port) {
        loopback = new LoopbackChannel(port);
        channel = loopback.channel();
    }

    /**
     * {@code grpc.health.v1.Health/Check} of {@code service} ("" for the whole server): the serving
     * status name, or the gRPC error code name when the call fails.
     */
    public String health(String service) {
        try {
            return HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(service).build())
                    .getStatus()
                    .name();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().name();
        }
    }

    /**
     * {@code nestor.v1.Platform/ListUnits}: unit name to {@code UnitState} name (for example
     * {@code dmar0 -> UNIT_STATE_ACTIVE}) in topology order.
     *
     * @throws IllegalStateException with the gRPC status when the call fails
     */
    public Map<String, String> unitStates() {
        try {
            Map<String, String> states = new LinkedHashMap<>();
            for (Unit unit : PlatformGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .listUnits(ListUnitsRequest.getDefaultInstance())
                    .getUnitsList()) {
                states.put(unit.getName(), unit.getState().name());
            }
            return states;
        } catch (StatusRuntimeException e) {
            throw new IllegalStateException("ListUnits failed: " + e.getStatus());
        }
    }

    @Override
    public void close() {
        loopback.close();
    }
}
