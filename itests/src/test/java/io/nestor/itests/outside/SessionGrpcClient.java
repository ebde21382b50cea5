package io.nestor.itests.outside;

import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.nestor.gateway.grpc.proto.CloseSessionRequest;
import io.nestor.gateway.grpc.proto.CreateRegionRequest;
import io.nestor.gateway.grpc.proto.ListRegionsRequest;
import io.nestor.gateway.grpc.proto.MemoryGrpc;
import io.nestor.gateway.grpc.proto.OpenSessionRequest;
import io.nestor.gateway.grpc.proto.SessionsGrpc;
import java.util.concurrent.TimeUnit;

/**
 * A plain gRPC client of the session services over the loopback port, outside OSGi (see
 * {@link PlatformGrpcClient} for why it must never be loaded by the probe). Only {@code java.*}
 * types in its API.
 */
public final class SessionGrpcClient implements AutoCloseable {
    private static final long DEADLINE_SECONDS = 10;

    private final LoopbackChannel loopback;
    private final ManagedChannel channel;

    public SessionGrpcClient(int port) {
        loopback = new LoopbackChannel(port);
        channel = loopback.channel();
    }

    /** Opens a session; its id. */
    public String open(String client) {
        return SessionsGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                .open(OpenSessionRequest.newBuilder().setClientName(client).build()).getSessionId();
    }

    /** Creates an anonymous region in session {@code id}: its host physical base, or the status code name. */
    public String createRegion(String id, long size) {
        try {
            return Long.toHexString(MemoryGrpc.newBlockingStub(ClientInterceptors.intercept(channel, session(id)))
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .createRegion(CreateRegionRequest.newBuilder().setSize(size).build()).getRegion()
                    .getHostPhysicalBase());
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().name();
        }
    }

    /** How many regions session {@code id} lists, or -1 when the call fails. */
    public int regionCount(String id) {
        try {
            return MemoryGrpc.newBlockingStub(ClientInterceptors.intercept(channel, session(id)))
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsCount();
        } catch (StatusRuntimeException e) {
            return -1;
        }
    }

    /** Closes session {@code id}; the status code name. */
    public String close(String id) {
        try {
            SessionsGrpc.newBlockingStub(ClientInterceptors.intercept(channel, session(id)))
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).close(CloseSessionRequest.getDefaultInstance());
            return "OK";
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().name();
        }
    }

    private static io.grpc.ClientInterceptor session(String id) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("nestor-session", Metadata.ASCII_STRING_MARSHALLER), id);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    @Override
    public void close() {
        loopback.close();
    }
}
