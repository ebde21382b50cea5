package io.nestor.gateway.grpc;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * The gateway's TLS settings: the server's certificate chain and private key (PEM; the key
 * unencrypted PKCS#8, "BEGIN PRIVATE KEY"), and for mutual TLS the certificates a client's chain
 * must lead to (PEM) and whether a client certificate is asked for.
 *
 * <p>Invariants: the chain and key are always set; {@link #trustCertificates()} is set exactly when
 * {@link #clientAuth()} is not {@link ClientAuthMode#NONE} (verifying clients against the JDK's
 * public roots would admit anyone with a public certificate, so it is never implied).
 *
 * <p>The context is built with the JDK's own TLS ({@link SslProvider#JDK}, ALPN "h2" as gRPC needs,
 * through {@link GrpcSslContexts}), never the native BoringSSL that grpc-netty-shaded also carries:
 * the bundle must not load native libraries.
 */
public record GatewayTls(Path certificateChain, Path privateKey, Path trustCertificates, ClientAuthMode clientAuth) {

    /** Whether the server asks for a client certificate, as Netty's {@link ClientAuth}. */
    public enum ClientAuthMode {
        /** No client certificate is asked for. */
        NONE(ClientAuth.NONE),
        /**
         * Asked for, naming the trusted CAs; a client without a certificate of one of them is admitted
         * as unauthenticated (a JDK client then sends none). The gateway authorizes nothing by client
         * identity yet, so this differs from {@link #NONE} only in what the handshake asks.
         */
        OPTIONAL(ClientAuth.OPTIONAL),
        /** A client without a certificate that verifies is refused in the handshake. */
        REQUIRE(ClientAuth.REQUIRE);

        private final ClientAuth netty;

        ClientAuthMode(ClientAuth netty) {
            this.netty = netty;
        }

        /** The configuration value: "none", "optional" or "require". */
        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses a configuration value, case-insensitively; {@code null} if it names no mode. */
        static ClientAuthMode parse(String value) {
            for (ClientAuthMode m : values()) {
                if (m.value().equalsIgnoreCase(value)) {
                    return m;
                }
            }
            return null;
        }
    }

    public GatewayTls {
        Objects.requireNonNull(certificateChain, "certificateChain");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(clientAuth, "clientAuth");
        if ((trustCertificates == null) != (clientAuth == ClientAuthMode.NONE)) {
            throw new IllegalArgumentException("gRPC gateway: trust certificates are needed exactly when client"
                    + " authentication is 'optional' or 'require' (client auth '" + clientAuth.value()
                    + "', trust certificates " + trustCertificates + ")");
        }
    }

    /**
     * Builds the server's TLS context, reading the files now.
     *
     * @throws IllegalArgumentException naming the files when they cannot be read or do not hold a
     *     usable certificate chain, key or trust certificates
     */
    public SslContext serverContext() {
        try {
            SslContextBuilder builder = SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile());
            if (trustCertificates != null) {
                builder.trustManager(trustCertificates.toFile());
            }
            builder.clientAuth(clientAuth.netty);
            return GrpcSslContexts.configure(builder, SslProvider.JDK).build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("gRPC gateway: cannot build the TLS context from certificate chain "
                    + certificateChain + ", private key " + privateKey
                    + (trustCertificates != null ? ", trust certificates " + trustCertificates : "")
                    + ": " + rootMessage(e), e);
        }
    }

    private static String rootMessage(Throwable e) {
        StringBuilder s = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != e; c = c.getCause()) {
            s.append(" (").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(')');
            if (c.getCause() == c) {
                break;
            }
        }
        return s.toString();
    }
}
