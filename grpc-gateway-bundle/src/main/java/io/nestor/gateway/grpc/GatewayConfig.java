package io.nestor.gateway.grpc;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Where the gateway listens.
 *
 * <p>Each setting is taken from the first source that has it: the Config Admin configuration
 * {@value #PID} ({@value #ADDRESS_KEY}, {@value #PORT_KEY}), then the framework properties
 * {@value #ADDRESS_FRAMEWORK_PROPERTY} and {@value #PORT_FRAMEWORK_PROPERTY}, then
 * {@value #DEFAULT_ADDRESS}:{@value #DEFAULT_PORT}. Loopback by default: the gateway has no
 * authentication, so exposing it is a deliberate choice.
 *
 * <p>Invariant: a {@code GatewayConfig} always holds a resolved address and a port in 1..65535; a
 * bad setting is rejected with a message naming its source, key and value.
 */
public record GatewayConfig(InetAddress address, int port) {

    /** The Config Admin PID (and the component's configuration PID). */
    public static final String PID = "io.nestor.gateway.grpc";
    public static final String ADDRESS_KEY = "address";
    public static final String PORT_KEY = "port";
    public static final String ADDRESS_FRAMEWORK_PROPERTY = "nestor.grpc.address";
    public static final String PORT_FRAMEWORK_PROPERTY = "nestor.grpc.port";
    public static final String DEFAULT_ADDRESS = "127.0.0.1";
    public static final int DEFAULT_PORT = 50051;

    public GatewayConfig {
        Objects.requireNonNull(address, "address");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("gRPC port " + port + " is not in 1..65535");
        }
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
        return new GatewayConfig(parseAddress(address), parsePort(port));
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
