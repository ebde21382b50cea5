package io.nestor.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.nestor.api.platform.UnitState;
import io.nestor.gateway.grpc.proto.ListUnitsRequest;
import io.nestor.gateway.grpc.proto.OpenSessionRequest;
import io.nestor.gateway.grpc.proto.SessionsGrpc;
import io.nestor.gateway.grpc.proto.PlatformGrpc;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real component outside OSGi: a Netty server on 127.0.0.1, called over TCP. */
class NettyGatewayTest {

    private final GrpcGateway gateway = new GrpcGateway();
    private final InMemoryPlatform platform = new InMemoryPlatform();
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        gateway.bindPlatform(platform);
        gateway.start(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        gateway.deactivate();
    }

    @Test
    void healthAndPlatformOverTcp() {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        assertEquals(ServingStatus.SERVING, check(health, ""));
        assertEquals(ServingStatus.SERVING, check(health, "nestor.v1.Platform"));
        assertEquals(2, PlatformGrpc.newBlockingStub(channel).listUnits(ListUnitsRequest.getDefaultInstance())
                .getUnitsCount());

        platform.setState("dmar0", UnitState.UNAVAILABLE);
        assertEquals(ServingStatus.NOT_SERVING, check(health, ""));
    }

    @Test
    void aRequestAboveTheMessageLimitIsRefusedBeforeAnyHandlerRuns() {
        // Sessions/Open needs no session, so the size check is what answers; the client's own
        // outbound limit is lifted so that the server's is the one tested.
        io.grpc.StatusRuntimeException e = assertThrows(io.grpc.StatusRuntimeException.class,
                () -> SessionsGrpc.newBlockingStub(channel).withMaxOutboundMessageSize(Integer.MAX_VALUE)
                        .open(OpenSessionRequest.newBuilder()
                                .setClientName("x".repeat(GatewayLimits.MAX_MESSAGE_BYTES + 1)).build()));
        assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.toString());
    }

    @Test
    void withoutTheSessionServiceOpenIsUnavailable() {
        io.grpc.StatusRuntimeException e = assertThrows(io.grpc.StatusRuntimeException.class,
                () -> SessionsGrpc.newBlockingStub(channel).open(OpenSessionRequest.newBuilder().setClientName("vmm")
                        .build()));
        assertEquals(io.grpc.Status.Code.UNAVAILABLE, e.getStatus().getCode());
    }

    @Test
    void reflectionListsTheServicesAndDescribesThePlatform() throws Exception {
        List<ServerReflectionResponse> responses = reflect(
                ServerReflectionRequest.newBuilder().setListServices("").build(),
                ServerReflectionRequest.newBuilder().setFileContainingSymbol("nestor.v1.Platform").build());

        List<String> services = responses.get(0).getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName).sorted().toList();
        assertEquals(List.of("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "nestor.v1.Dma",
                "nestor.v1.Events", "nestor.v1.Iommufd", "nestor.v1.Memory", "nestor.v1.Platform", "nestor.v1.Sessions",
                "nestor.v1.VfioContainer",
                "nestor.v1.VfioDevice"),
                services);

        List<String> files = new ArrayList<>();
        for (var bytes : responses.get(1).getFileDescriptorResponse().getFileDescriptorProtoList()) {
            files.add(FileDescriptorProto.parseFrom(bytes).getName());
        }
        assertTrue(files.contains("nestor/v1/platform.proto"), files.toString());
        assertTrue(files.contains("nestor/v1/common.proto"), files.toString());
        FileDescriptorProto platformFile = FileDescriptorProto.parseFrom(
                responses.get(1).getFileDescriptorResponse().getFileDescriptorProto(0));
        assertEquals("nestor/v1/platform.proto", platformFile.getName());
        assertEquals(List.of("ListUnits", "ListDevices", "GetUnitInfo", "ListDrivers", "GetStatistics"),
                platformFile.getService(0).getMethodList().stream().map(m -> m.getName()).toList());
    }

    @Test
    void deactivateReleasesThePortAndEveryOwnedThread() throws Exception {
        int port = gateway.port();
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        assertFalse(ownedThreads().isEmpty(), "the server runs on its own boss thread");

        gateway.deactivate();

        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertEquals(port, again.getLocalPort());
        }
        // The pools have terminated; a thread may still be returning from its run method, so join
        // it (a hang guard, not a timing assertion) and require that none is left running.
        List<Thread> owned = ownedThreads();
        for (Thread t : owned) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertEquals(List.of(), owned.stream().filter(Thread::isAlive).map(Thread::getName).toList());
        assertThrows(IllegalStateException.class, gateway::port);
    }

    @Test
    void aBadPortFailsActivationBeforeAnythingStarts() {
        GrpcGateway other = new GrpcGateway();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> other.configureAndStart(Map.of("port", "99999"), key -> null));

        assertTrue(e.getMessage().contains("'port' = '99999'"), e.getMessage());
        assertThrows(IllegalStateException.class, other::port);
    }

    @Test
    void aPortInUseFailsActivationNamingTheAddress() {
        GrpcGateway other = new GrpcGateway();
        String port = Integer.toString(gateway.port());

        Exception e = assertThrows(java.io.IOException.class,
                () -> other.configureAndStart(Map.of("address", "127.0.0.1", "port", port), key -> null));

        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertThrows(IllegalStateException.class, other::port);
    }

    private static List<Thread> ownedThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("nestor-grpc-")).toList();
    }

    private static ServingStatus check(HealthGrpc.HealthBlockingStub health, String service) {
        return health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    /** Sends the requests on one reflection stream and collects one response per request. */
    private List<ServerReflectionResponse> reflect(ServerReflectionRequest... requests) throws Exception {
        CompletableFuture<List<ServerReflectionResponse>> done = new CompletableFuture<>();
        List<ServerReflectionResponse> received = new ArrayList<>();
        StreamObserver<ServerReflectionRequest> out = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(
                new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse response) {
                        received.add(response);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(List.copyOf(received));
                    }
                });
        for (ServerReflectionRequest request : requests) {
            out.onNext(request);
        }
        out.onCompleted();
        // A guard against a hung server, not a timing assertion.
        List<ServerReflectionResponse> responses = done.get(60, TimeUnit.SECONDS);
        assertEquals(requests.length, responses.size());
        assertFalse(responses.stream().anyMatch(ServerReflectionResponse::hasErrorResponse), responses.toString());
        return responses;
    }
}
