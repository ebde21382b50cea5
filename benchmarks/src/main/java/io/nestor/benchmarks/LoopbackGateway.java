package io.nestor.benchmarks;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.nestor.api.driver.IommuDriver;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.service.SessionManager;
import io.nestor.core.service.SessionSettings;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.unit.DriverBinding;
import io.nestor.driver.vtd.VtdDriver;
import io.nestor.gateway.grpc.GatewayLimits;
import io.nestor.gateway.grpc.GatewayServer;
import io.nestor.gateway.grpc.GatewayServices;
import io.nestor.gateway.grpc.proto.OpenSessionRequest;
import io.nestor.gateway.grpc.proto.SessionsGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The whole gateway as a remote VMM meets it, outside OSGi: the real core (embedded default
 * topology, 52-bit sparse host memory, the real VT-d driver bound to its units), the real session
 * service, and the gateway's services on a {@link GatewayServer} — the component's own Netty server,
 * event loops and executor — on an ephemeral 127.0.0.1 port, plus any extra services the benchmark
 * serves beside them with the same settings. The client is a plaintext Netty channel whose calls
 * carry the session's {@code nestor-session} metadata.
 *
 * <p>{@link #close()} closes the channel, the server, the session service and the region directory.
 */
final class LoopbackGateway implements AutoCloseable {
    final SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
    final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    final VtdDriver vtd = new VtdDriver();
    final SessionManager sessions;
    final GatewayServices services = new GatewayServices();
    final GatewayServer server;
    final ManagedChannel channel;
    /** {@link #channel} with the session's metadata on every call. */
    final Channel session;
    final String sessionId;
    private final Path regionDir;

    LoopbackGateway(ServerServiceDefinition... extraServices) {
        try {
            regionDir = Files.createTempDirectory("nestor-bench-regions");
            registry.addDriver(new DriverBinding(vtd, IommuDriver.KIND_INTEL_VTD, "io.nestor.driver.vtd", 1, "1.0.0",
                    0, 1L));
            sessions = SessionManager.over(registry, SessionSettings.defaults(regionDir).withDefaultLease(600_000));
            services.bindPlatform(registry);
            services.bindSessions(sessions);
            List<ServerServiceDefinition> all = new ArrayList<>(services.services());
            all.addAll(List.of(extraServices));
            server = GatewayServer.start(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), all);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                .maxInboundMessageSize(GatewayLimits.MAX_MESSAGE_BYTES).build();
        sessionId = SessionsGrpc.newBlockingStub(channel)
                .open(OpenSessionRequest.newBuilder().setClientName("jmh").build()).getSessionId();
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("nestor-session", Metadata.ASCII_STRING_MARSHALLER), sessionId);
        session = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    @Override
    public void close() throws Exception {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
        services.close();
        sessions.close();
        try (Stream<Path> files = Files.walk(regionDir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
