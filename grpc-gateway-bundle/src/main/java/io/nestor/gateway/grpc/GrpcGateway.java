package io.nestor.gateway.grpc;

import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
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
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The gateway component: serves {@link GatewayServices} on a Netty server at the address that
 * {@link GatewayConfig} resolves.
 *
 * <p>Lifecycle: a bad configuration fails the activation before anything starts. A configuration
 * change ({@link #modified}) is checked completely first, TLS files read included: a bad one is
 * refused and logged while the running server carries on with its previous configuration; a good
 * one replaces the server (stopping the old one waits for its threads). The {@link Platform} reference is optional and dynamic, so the
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
    /** The configuration {@link #server} runs with; guarded by {@code this}. */
    private Prepared running;

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
     * A configuration change. A bad configuration is refused (logged, naming the setting) and the
     * running server keeps serving with its previous configuration; a good one replaces the server.
     */
    @Modified
    void modified(BundleContext context, Map<String, Object> properties) {
        try {
            reconfigure(properties, context::getProperty);
        } catch (IllegalArgumentException | IOException e) {
            // Already logged by reconfigure; DS has nothing better to do with it.
        }
    }

    /**
     * Resolves the configuration and starts the server; a bad setting is logged and fails the
     * activation with a message naming it, before anything is started.
     */
    synchronized void configureAndStart(Map<String, ?> properties, Function<String, String> frameworkProperty)
            throws IOException {
        Prepared next = prepare(properties, frameworkProperty);
        server = startLogged(next);
        running = next;
    }

    /**
     * Applies a new configuration to the running gateway. Everything that can be checked (values,
     * files, the TLS context built from them) is checked before the running server is touched.
     * A new address is bound before the old server stops; the same address is released first and,
     * should binding it again fail, the previous configuration is restored.
     *
     * @throws IllegalArgumentException for a bad configuration; the running server is unchanged
     * @throws IOException if the new address cannot be bound; the previous server still runs
     */
    synchronized void reconfigure(Map<String, ?> properties, Function<String, String> frameworkProperty)
            throws IOException {
        Prepared next;
        try {
            next = prepare(properties, frameworkProperty);
        } catch (IllegalArgumentException e) {
            if (server != null) {
                LOG.log(Level.ERROR, "gRPC gateway: configuration refused, still serving on port " + port()
                        + " with the previous configuration");
            }
            throw e;
        }
        GatewayServer old = server;
        Prepared previous = running;
        if (old == null || previous == null) {
            server = startLogged(next);
            running = next;
            return;
        }
        InetSocketAddress oldAddress = new InetSocketAddress(previous.address.getAddress(), old.port());
        boolean sameAddress = next.address.equals(oldAddress);
        if (!sameAddress) {
            server = startLogged(next); // the old one keeps serving if this throws
            running = next;
            old.close();
            return;
        }
        server = null;
        old.close();
        try {
            server = startLogged(next);
            running = next;
        } catch (IOException e) {
            LOG.log(Level.ERROR, "gRPC gateway: restoring the previous configuration");
            server = startLogged(previous.on(oldAddress));
            throw e;
        }
    }

    /**
     * What a server is started from: a resolved configuration with its TLS context built (files
     * read). {@code tlsSettings} and {@code tls} are both {@code null} for plaintext.
     */
    private record Prepared(InetSocketAddress address, int maxInboundMessageBytes, GatewayTls tlsSettings,
            SslContext tls) {

        static Prepared of(GatewayConfig config) {
            return new Prepared(config.socketAddress(), config.maxInboundMessageBytes(), config.tls(),
                    config.usesTls() ? config.tls().serverContext() : null);
        }

        Prepared on(InetSocketAddress other) {
            return new Prepared(other, maxInboundMessageBytes, tlsSettings, tls);
        }
    }

    private static Prepared prepare(Map<String, ?> properties, Function<String, String> frameworkProperty) {
        try {
            return Prepared.of(GatewayConfig.resolve(properties, frameworkProperty));
        } catch (IllegalArgumentException e) {
            LOG.log(Level.ERROR, e.getMessage());
            throw e;
        }
    }

    /** Starts serving plaintext on {@code address}; port 0 picks a free port (see {@link #port()}). */
    synchronized void start(InetSocketAddress address) throws IOException {
        Prepared p = new Prepared(address, GatewayLimits.MAX_MESSAGE_BYTES, null, null);
        server = startLogged(p);
        running = p;
    }

    private GatewayServer startLogged(Prepared p) throws IOException {
        InetSocketAddress address = p.address;
        String where = address.getAddress().getHostAddress() + ":" + address.getPort();
        GatewayServer started;
        try {
            started = GatewayServer.start(address, services.services(), p.tls, p.maxInboundMessageBytes);
        } catch (IOException e) {
            String message = "gRPC gateway: cannot listen on " + where + ": " + e.getMessage();
            LOG.log(Level.ERROR, message, e);
            throw new IOException(message, e);
        }
        GatewayTls tls = p.tlsSettings;
        LOG.log(Level.INFO, "gRPC gateway listening on " + address.getAddress().getHostAddress() + ":"
                + started.port() + (tls == null ? " (plaintext)" : " (TLS, client auth " + tls.clientAuth().value()
                + ")"));
        return started;
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
    synchronized void deactivate() {
        services.close();
        GatewayServer stopping = server;
        server = null;
        running = null;
        if (stopping != null) {
            stopping.close();
        }
    }
}
