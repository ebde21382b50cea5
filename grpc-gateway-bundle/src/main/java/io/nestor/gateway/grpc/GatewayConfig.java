package io.nestor.gateway.grpc;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Where and how the gateway listens: address, port, the largest request it accepts, and TLS.
 *
 * <p>The address and port are taken from the first source that has them: the Config Admin
 * configuration {@value #PID} ({@value #ADDRESS_KEY}, {@value #PORT_KEY}), then the framework
 * properties {@value #ADDRESS_FRAMEWORK_PROPERTY} and {@value #PORT_FRAMEWORK_PROPERTY}, then
 * {@value #DEFAULT_ADDRESS}:{@value #DEFAULT_PORT}. Loopback by default: sessions are bearer ids,
 * so exposing the gateway is a deliberate choice, best made with mutual TLS.
 *
 * <p>From the Config Admin configuration only: {@value #MAX_INBOUND_MESSAGE_KEY} (bytes, at most
 * {@link GatewayLimits#MAX_MESSAGE_BYTES}, the default; a larger request is refused with
 * RESOURCE_EXHAUSTED before any handler runs), and TLS: {@value #TLS_CERT_CHAIN_KEY} and
 * {@value #TLS_PRIVATE_KEY_KEY} (PEM files; both or neither: neither serves plaintext),
 * {@value #TLS_CLIENT_AUTH_KEY} ({@code none} by default, {@code optional}, {@code require}) and
 * {@value #TLS_TRUST_CERTS_KEY} (PEM; required with client authentication, refused without it).
 *
 * <p>Why no default per-call deadline: the unary handlers run to completion synchronously and
 * briefly (a deadline cannot interrupt them, only the client's wait); the long calls are streams
 * (Events.Subscribe, Dma.TranslateStream) that must stay open; the one call that waits,
 * Dma.PageRequest, bounds its own wait when the client sets no deadline.
 *
 * <p>Invariant: a {@code GatewayConfig} always holds a resolved address, a port in 1..65535 and a
 * message limit in {@value #MIN_INBOUND_MESSAGE_BYTES}..{@link GatewayLimits#MAX_MESSAGE_BYTES};
 * TLS files named exist and are readable files when resolved. A bad setting is rejected with a
 * message naming its source, key and value.
 */
public record GatewayConfig(InetAddress address, int port, int maxInboundMessageBytes, GatewayTls tls) {

    /** The Config Admin PID (and the component's configuration PID). */
    public static final String PID = "io.nestor.gateway.grpc";
    public static final String ADDRESS_KEY = "address";
    public static final String PORT_KEY = "port";
    public static final String ADDRESS_FRAMEWORK_PROPERTY = "nestor.grpc.address";
    public static final String PORT_FRAMEWORK_PROPERTY = "nestor.grpc.port";
    public static final String DEFAULT_ADDRESS = "127.0.0.1";
    public static final int DEFAULT_PORT = 50051;
    public static final String MAX_INBOUND_MESSAGE_KEY = "max.inbound.message.bytes";
    /** Room for a small Translate batch or a page of data; below this the API is unusable. */
    public static final int MIN_INBOUND_MESSAGE_BYTES = 4096;
    public static final String TLS_CERT_CHAIN_KEY = "tls.cert.chain.file";
    public static final String TLS_PRIVATE_KEY_KEY = "tls.private.key.file";
    public static final String TLS_TRUST_CERTS_KEY = "tls.trust.certs.file";
    public static final String TLS_CLIENT_AUTH_KEY = "tls.client.auth";

    /**
     * @param tls the TLS settings, {@code null} for plaintext
     */
    public GatewayConfig {
        Objects.requireNonNull(address, "address");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("gRPC port " + port + " is not in 1..65535");
        }
        if (maxInboundMessageBytes < MIN_INBOUND_MESSAGE_BYTES
                || maxInboundMessageBytes > GatewayLimits.MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("gRPC maximum inbound message " + maxInboundMessageBytes
                    + " bytes is not in " + MIN_INBOUND_MESSAGE_BYTES + ".." + GatewayLimits.MAX_MESSAGE_BYTES);
        }
    }

    /** Plaintext, with the default message limit. */
    public GatewayConfig(InetAddress address, int port) {
        this(address, port, GatewayLimits.MAX_MESSAGE_BYTES, null);
    }

    /** Whether clients must speak TLS. */
    public boolean usesTls() {
        return tls != null;
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(address, port);
    }

    /**
     * Resolves the settings.
     *
     * @param configuration the component properties (Config Admin values included)
     * @param frameworkProperty looks up a framework property, {@code null} when unset
     * @throws IllegalArgumentException naming the source, key and value of a bad setting
     */
    public static GatewayConfig resolve(Map<String, ?> configuration, Function<String, String> frameworkProperty) {
        Setting address = Setting.find(configuration, ADDRESS_KEY, frameworkProperty, ADDRESS_FRAMEWORK_PROPERTY,
                DEFAULT_ADDRESS);
        Setting port = Setting.find(configuration, PORT_KEY, frameworkProperty, PORT_FRAMEWORK_PROPERTY,
                Integer.toString(DEFAULT_PORT));
        return new GatewayConfig(parseAddress(address), parsePort(port), parseMaxInbound(configuration),
                parseTls(configuration));
    }

    private static int parseMaxInbound(Map<String, ?> configuration) {
        Setting s = Setting.configured(configuration, MAX_INBOUND_MESSAGE_KEY);
        if (s == null) {
            return GatewayLimits.MAX_MESSAGE_BYTES;
        }
        long bytes;
        try {
            bytes = Long.parseLong(s.value());
        } catch (NumberFormatException e) {
            throw s.invalid("is not an integer; expected bytes in " + MIN_INBOUND_MESSAGE_BYTES + ".."
                    + GatewayLimits.MAX_MESSAGE_BYTES);
        }
        if (bytes < MIN_INBOUND_MESSAGE_BYTES || bytes > GatewayLimits.MAX_MESSAGE_BYTES) {
            throw s.invalid("is not in " + MIN_INBOUND_MESSAGE_BYTES + ".." + GatewayLimits.MAX_MESSAGE_BYTES);
        }
        return (int) bytes;
    }

    private static GatewayTls parseTls(Map<String, ?> configuration) {
        Setting chain = Setting.configured(configuration, TLS_CERT_CHAIN_KEY);
        Setting key = Setting.configured(configuration, TLS_PRIVATE_KEY_KEY);
        Setting trust = Setting.configured(configuration, TLS_TRUST_CERTS_KEY);
        Setting auth = Setting.configured(configuration, TLS_CLIENT_AUTH_KEY);
        if (chain == null && key == null) {
            Setting stray = trust != null ? trust : auth;
            if (stray != null) {
                throw stray.invalid("needs TLS: set '" + TLS_CERT_CHAIN_KEY + "' and '" + TLS_PRIVATE_KEY_KEY + "'");
            }
            return null;
        }
        if (chain == null || key == null) {
            Setting set = chain != null ? chain : key;
            throw set.invalid("is set without '" + (chain == null ? TLS_CERT_CHAIN_KEY : TLS_PRIVATE_KEY_KEY)
                    + "'; TLS needs both the certificate chain and the private key");
        }
        GatewayTls.ClientAuthMode mode = GatewayTls.ClientAuthMode.NONE;
        if (auth != null) {
            mode = GatewayTls.ClientAuthMode.parse(auth.value());
            if (mode == null) {
                throw auth.invalid("is not one of none, optional, require");
            }
        }
        if (mode != GatewayTls.ClientAuthMode.NONE && trust == null) {
            throw auth.invalid("needs '" + TLS_TRUST_CERTS_KEY + "': the certificates client chains must lead to");
        }
        if (mode == GatewayTls.ClientAuthMode.NONE && trust != null) {
            throw trust.invalid("is set but '" + TLS_CLIENT_AUTH_KEY + "' is none; set it to optional or require,"
                    + " or remove the trust certificates");
        }
        return new GatewayTls(readableFile(chain), readableFile(key), trust == null ? null : readableFile(trust), mode);
    }

    private static Path readableFile(Setting s) {
        if (s.value().isEmpty()) {
            throw s.invalid("is empty; expected a file path");
        }
        Path p;
        try {
            p = Path.of(s.value()).toAbsolutePath();
        } catch (InvalidPathException e) {
            throw s.invalid("is not a file path: " + e.getMessage());
        }
        if (!Files.isRegularFile(p)) {
            throw s.invalid(Files.exists(p) ? "is not a regular file" : "does not exist");
        }
        if (!Files.isReadable(p)) {
            throw s.invalid("is not readable");
        }
        return p;
    }

    private static InetAddress parseAddress(Setting s) {
        if (s.value().isEmpty()) {
            throw s.invalid("is empty; expected an IP address or host name");
        }
        try {
            return InetAddress.getByName(s.value());
        } catch (UnknownHostException e) {
            throw s.invalid("is not an IP address or resolvable host name");
        }
    }

    private static int parsePort(Setting s) {
        long port;
        try {
            port = Long.parseLong(s.value());
        } catch (NumberFormatException e) {
            throw s.invalid("is not an integer; expected a port in 1..65535");
        }
        if (port < 1 || port > 65535) {
            throw s.invalid("is not in 1..65535");
        }
        return (int) port;
    }

    /** One setting's value and where it came from, for error messages. */
    private record Setting(String source, String value) {

        /** A setting of the Config Admin configuration only; {@code null} when absent. */
        static Setting configured(Map<String, ?> configuration, String key) {
            Object configured = configuration.get(key);
            return configured == null ? null
                    : new Setting("configuration " + PID + " property '" + key + "'", String.valueOf(configured).trim());
        }

        static Setting find(Map<String, ?> configuration, String key, Function<String, String> frameworkProperty,
                String frameworkKey, String defaultValue) {
            Object configured = configuration.get(key);
            if (configured != null) {
                return new Setting("configuration " + PID + " property '" + key + "'",
                        String.valueOf(configured).trim());
            }
            String framework = frameworkProperty.apply(frameworkKey);
            if (framework != null) {
                return new Setting("framework property '" + frameworkKey + "'", framework.trim());
            }
            return new Setting("default", defaultValue);
        }

        IllegalArgumentException invalid(String problem) {
            return new IllegalArgumentException("gRPC gateway: " + source + " = '" + value + "' " + problem);
        }
    }
}
