package io.nestor.distribution;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A plain gRPC client of the standard health service ({@code grpc.health.v1.Health}) on a loopback
 * port, running on the test's flat class path outside any OSGi framework, as a VMM would.
 */
final class HealthProbe implements AutoCloseable {

    private final ManagedChannel channel;

    HealthProbe(int port) {
        channel = NettyChannelBuilder
                .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .usePlaintext()
                .build();
    }

    /**
     * The health of {@code service} ("" for the whole server): the status name such as
     * {@code SERVING}, or the gRPC error code (for example {@code UNAVAILABLE} while nothing
     * listens on the port).
     */
    String check(String service) {
        try {
            return HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(service).build())
                    .getStatus()
                    .name();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().name();
        }
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
