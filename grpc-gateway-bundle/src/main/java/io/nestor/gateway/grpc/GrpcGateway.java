package io.nestor.gateway.grpc;

import io.nestor.api.platform.Platform;
import io.nestor.api.session.SessionService;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.function.Function;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The gateway component: serves {@link GatewayServices} on a Netty server at the address that
 * {@link GatewayConfig} resolves.
 *
 * <p>Lifecycle: one server per activation. A configuration change deactivates the component
 * (there is no modified method), which stops the server and waits for its threads, then activates a
 * new instance on the new address. The {@link Platform} reference is optional and dynamic, so the
 * server keeps running while the core is stopped or updated; the platform RPCs then answer
 * {@code UNAVAILABLE} and health reports {@code NOT_SERVING}. The {@link SessionService} reference
 * is optional and dynamic alike: the session RPCs answer {@code UNAVAILABLE} without it. Sessions
 * themselves live in the core, so a core restart ends them (clients see {@code UNAUTHENTICATED} and
 * open new ones).
 */
@Component(service = {}, immediate = true, configurationPid = GatewayConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class GrpcGateway {

    private static final System.Logger LOG = System.getLogger(GrpcGateway.class.getName());

    // Created with the instance: DS binds the reference before it calls activate.
    private final GatewayServices services = new GatewayServices();
    private volatile GatewayServer server;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindPlatform(Platform platform) {
        services.bindPlatform(platform);
    }

    void unbindPlatform(Platform platform) {
        services.unbindPlatform(platform);
    }

    /** Optional and dynamic like the platform: sessions answer UNAVAILABLE while the core is away. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindSessions(SessionService sessions) {
        services.bindSessions(sessions);
    }

    void unbindSessions(SessionService sessions) {
        services.unbindSessions(sessions);
    }

    @Activate
    void activate(BundleContext context, Map<String, Object> properties) throws IOException {
        configureAndStart(properties, context::getProperty);
    }

    /**
     * Resolves the configuration and starts the server; a bad setting is logged and fails the
     * activation with a message naming it, before anything is started.
     */
    void configureAndStart(Map<String, ?> properties, Function<String, String> frameworkProperty)
            throws IOException {
        GatewayConfig config;
        try {
            config = GatewayConfig.resolve(properties, frameworkProperty);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.ERROR, e.getMessage());
            throw e;
        }
        start(config.socketAddress());
    }

    /** Starts serving on {@code address}; port 0 picks a free port (see {@link #port()}). */
    void start(InetSocketAddress address) throws IOException {
        String where = address.getAddress().getHostAddress() + ":" + address.getPort();
        try {
            server = GatewayServer.start(address, services.services());
        } catch (IOException e) {
            String message = "gRPC gateway: cannot listen on " + where + ": " + e.getMessage();
            LOG.log(Level.ERROR, message, e);
            throw new IOException(message, e);
        }
        LOG.log(Level.INFO, "gRPC gateway listening on " + address.getAddress().getHostAddress() + ":" + port());
    }

    /** The port being served. */
    int port() {
        GatewayServer running = server;
        if (running == null) {
            throw new IllegalStateException("the gRPC gateway is not serving");
        }
        return running.port();
    }

    @Deactivate
    void deactivate() {
        services.close();
        GatewayServer running = server;
        server = null;
        if (running != null) {
            running.close();
        }
    }
}
