package io.nestor.gateway.grpc;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** {@link GatewayServices} served on the in-process transport, with a channel to it. */
public final class InProcessGateway implements AutoCloseable {

    public final GatewayServices services = new GatewayServices();
    public final ManagedChannel channel;
    private final Server server;

    public InProcessGateway() throws IOException {
        String name = InProcessServerBuilder.generateName();
        InProcessServerBuilder builder = InProcessServerBuilder.forName(name).directExecutor();
        services.services().forEach(builder::addService);
        server = builder.build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @Override
    public void close() throws InterruptedException {
        services.close();
        channel.shutdownNow();
        server.shutdownNow();
        channel.awaitTermination(10, TimeUnit.SECONDS);
        server.awaitTermination(10, TimeUnit.SECONDS);
    }
}
