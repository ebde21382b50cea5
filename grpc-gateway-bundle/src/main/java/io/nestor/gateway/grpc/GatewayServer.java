package io.nestor.gateway.grpc;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A running Netty gRPC server that owns every thread it runs on: the boss and worker event loops
 * (NIO) and the call executor.
 *
 * <p>Why it owns them: gRPC's default shared event loops and executor are released only after a
 * delay, so after a bundle update their threads would still run classes of the old, invalidated
 * bundle wiring ({@code NoClassDefFoundError}). {@link #close()} therefore shuts the server down
 * and waits for every owned thread to end before it returns.
 *
 * <p>Usable outside OSGi; port 0 binds an ephemeral port, see {@link #port()}. With a TLS context
 * every connection must complete the TLS handshake (ALPN h2) before any call; plaintext HTTP/2 is
 * then refused.
 */
public final class GatewayServer implements AutoCloseable {

    private static final long SHUTDOWN_SECONDS = 10;

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ExecutorService executor;
    private final Server server;

    private GatewayServer(EventLoopGroup boss, EventLoopGroup workers, ExecutorService executor, Server server) {
        this.boss = boss;
        this.workers = workers;
        this.executor = executor;
        this.server = server;
    }

    /**
     * Binds {@code address} and starts serving {@code services} in plaintext, with the default
     * message limit {@link GatewayLimits#MAX_MESSAGE_BYTES}.
     *
     * @throws IOException if the address cannot be bound (in use, not local); nothing is left running
     */
    public static GatewayServer start(InetSocketAddress address, List<ServerServiceDefinition> services) throws IOException {
        return start(address, services, null, GatewayLimits.MAX_MESSAGE_BYTES);
    }

    /**
     * Binds {@code address} and starts serving {@code services}.
     *
     * @param tls the server's TLS context (see {@link GatewayTls#serverContext()}), {@code null} for
     *     plaintext
     * @param maxInboundMessageBytes the largest request accepted; a larger one is answered
     *     RESOURCE_EXHAUSTED before any handler runs
     * @throws IOException if the address cannot be bound (in use, not local); nothing is left running
     */
    public static GatewayServer start(InetSocketAddress address, List<ServerServiceDefinition> services,
            SslContext tls, int maxInboundMessageBytes) throws IOException {
        Objects.requireNonNull(address, "address");
        if (tls != null && !tls.isServer()) {
            throw new IllegalArgumentException("the gateway needs a server TLS context");
        }
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("nestor-grpc-boss", true), NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0,
                new DefaultThreadFactory("nestor-grpc-worker", true), NioIoHandler.newFactory());
        ExecutorService executor = Executors.newCachedThreadPool(new DefaultThreadFactory("nestor-grpc-call", true));
        NettyServerBuilder builder = NettyServerBuilder.forAddress(address)
                .channelType(NioServerSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .executor(executor)
                .maxInboundMessageSize(maxInboundMessageBytes);
        if (tls != null) {
            builder.sslContext(tls);
        }
        services.forEach(builder::addService);
        Server server = builder.build();
        try {
            server.start();
        } catch (IOException | RuntimeException e) {
            release(boss, workers, executor);
            throw e;
        }
        return new GatewayServer(boss, workers, executor, server);
    }

    /** The bound port (the actual one when started on port 0). */
    public int port() {
        return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    }

    /**
     * Stops accepting calls, ends the running ones (cancelling those still running after a grace
     * period), and waits for every owned thread to end.
     */
    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(SHUTDOWN_SECONDS, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(SHUTDOWN_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        release(boss, workers, executor);
    }

    private static void release(EventLoopGroup boss, EventLoopGroup workers, ExecutorService executor) {
        // Quiet period 0: the server is already terminated, nothing more will be submitted.
        boss.shutdownGracefully(0, SHUTDOWN_SECONDS, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, SHUTDOWN_SECONDS, TimeUnit.SECONDS).syncUninterruptibly();
        executor.shutdown();
        try {
            if (!executor.awaitTermination(SHUTDOWN_SECONDS, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
