package io.nestor.itests.outside;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A plaintext channel to the gateway's loopback port on Netty's NIO transport, with an event loop
 * of its own.
 *
 * <p>Why not grpc's default (epoll, from a JVM-wide shared event loop group): the failsafe JVM hosts
 * one Felix framework after another, and each gateway bundle loads its own copy of the shaded Netty
 * with its native epoll library. Once a copy loaded by another class loader holds the library, the
 * class path's Netty can see epoll "available" and still fail with {@code UnsatisfiedLinkError:
 * Native.epollCreate()} when the shared group is created again (seen when the whole suite runs in
 * one JVM). NIO needs no native code, so the client works whatever the bundles did.
 */
final class LoopbackChannel implements AutoCloseable {
    private static final long CLOSE_SECONDS = 10;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ManagedChannel channel;

    LoopbackChannel(int port) {
        // A socket address, not a host name: no name resolver is involved.
        channel = NettyChannelBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .eventLoopGroup(group)
                .channelType(NioSocketChannel.class)
                .usePlaintext()
                .build();
    }

    ManagedChannel channel() {
        return channel;
    }

    /** Ends every call, then the event loop. */
    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(CLOSE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            group.shutdownGracefully(0, CLOSE_SECONDS, TimeUnit.SECONDS);
        }
    }
}
