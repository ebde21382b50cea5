package io.nestor.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.nestor.gateway.grpc.proto.ListUnitsRequest;
import io.nestor.gateway.grpc.proto.OpenSessionRequest;
import io.nestor.gateway.grpc.proto.PlatformGrpc;
import io.nestor.gateway.grpc.proto.SessionsGrpc;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mutual TLS on the real component outside OSGi: a Netty server on an ephemeral 127.0.0.1
 * port configured as Config Admin would (PID io.nestor.gateway.grpc), called by real Netty clients
 * with the JDK's TLS, with certificates made by keytool for the test ({@link TestCertificates}).
 */
class GatewayTlsTest {
    @TempDir
    static Path pki;
    private static TestCertificates certs;

    private final GrpcGateway gateway = new GrpcGateway();
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = new TestCertificates(pki);
    }

    @AfterEach
    void stop() throws Exception {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        gateway.deactivate();
    }

    @Test
    void aTlsClientIsServedAndAPlaintextClientIsNot() throws Exception {
        gateway.bindPlatform(new InMemoryPlatform());
        gateway.configureAndStart(tls("none"), key -> null);

        assertEquals(2, listUnits(tlsClient(null, null)));
        assertEquals(Status.Code.UNAVAILABLE, failure(plaintextClient()));
    }

    @Test
    void requiredClientAuthAdmitsOnlyCertificatesOfTheTrustedCa() throws Exception {
        gateway.bindPlatform(new InMemoryPlatform());
        gateway.configureAndStart(tls("require"), key -> null);

        assertEquals(Status.Code.UNAVAILABLE, failure(tlsClient(null, null)), "no client certificate");
        assertEquals(Status.Code.UNAVAILABLE, failure(tlsClient(certs.strangerChain, certs.strangerKey)),
                "a certificate of another CA");
        assertEquals(Status.Code.UNAVAILABLE, failure(plaintextClient()));
        assertEquals(2, listUnits(tlsClient(certs.clientChain, certs.clientKey)));
    }

    @Test
    void optionalClientAuthAdmitsClientsWithAndWithoutACertificateButStillOnlyOverTls() throws Exception {
        gateway.bindPlatform(new InMemoryPlatform());
        gateway.configureAndStart(tls("optional"), key -> null);

        assertEquals(2, listUnits(tlsClient(null, null)));
        assertEquals(2, listUnits(tlsClient(certs.clientChain, certs.clientKey)));
        // The server names its CA; the client has no certificate of it and connects without one.
        assertEquals(2, listUnits(tlsClient(certs.strangerChain, certs.strangerKey)));
        assertEquals(Status.Code.UNAVAILABLE, failure(plaintextClient()));
    }

    @Test
    void aMissingFileIsRefusedByNameAndTheRunningServerKeepsItsConfiguration() throws Exception {
        gateway.bindPlatform(new InMemoryPlatform());
        Map<String, Object> good = tls("require");
        gateway.configureAndStart(good, key -> null);
        int port = gateway.port();

        Map<String, Object> missingKey = new HashMap<>(good);
        Path absent = pki.resolve("absent-key.pem");
        missingKey.put(GatewayConfig.TLS_PRIVATE_KEY_KEY, absent.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> gateway.reconfigure(missingKey, key -> null));
        assertTrue(e.getMessage().contains("property 'tls.private.key.file' = '" + absent + "' does not exist"),
                e.getMessage());

        Path garbage = Files.writeString(pki.resolve("garbage-chain.pem"), "not a certificate\n");
        Map<String, Object> badChain = new HashMap<>(good);
        badChain.put(GatewayConfig.TLS_CERT_CHAIN_KEY, garbage.toString());
        e = assertThrows(IllegalArgumentException.class, () -> gateway.reconfigure(badChain, key -> null));
        assertTrue(e.getMessage().contains("cannot build the TLS context from certificate chain " + garbage),
                e.getMessage());

        // Still the first server: same port, mutual TLS as before.
        assertEquals(port, gateway.port());
        assertEquals(2, listUnits(tlsClient(certs.clientChain, certs.clientKey)));
        assertEquals(Status.Code.UNAVAILABLE, failure(tlsClient(null, null)));
    }

    @Test
    void aGoodReconfigurationOnTheSamePortReplacesTheServer() throws Exception {
        gateway.bindPlatform(new InMemoryPlatform());
        Map<String, Object> mutual = tls("require");
        gateway.configureAndStart(mutual, key -> null);
        int port = gateway.port();

        gateway.reconfigure(Map.of(GatewayConfig.ADDRESS_KEY, "127.0.0.1", GatewayConfig.PORT_KEY, port), key -> null);

        assertEquals(port, gateway.port());
        assertEquals(2, listUnits(plaintextClient()));
        assertEquals(Status.Code.UNAVAILABLE, failure(tlsClient(certs.clientChain, certs.clientKey)));
    }

    @Test
    void theConfiguredMessageLimitRefusesLargerRequestsBeforeAnyHandlerRuns() throws Exception {
        Map<String, Object> config = new HashMap<>(tls("none"));
        config.put(GatewayConfig.MAX_INBOUND_MESSAGE_KEY, "8192");
        gateway.configureAndStart(config, key -> null);
        ManagedChannel channel = tlsClient(null, null);

        StatusRuntimeException tooLarge = assertThrows(StatusRuntimeException.class,
                () -> SessionsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                        .open(OpenSessionRequest.newBuilder().setClientName("x".repeat(8193)).build()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, tooLarge.getStatus().getCode(), tooLarge.toString());
        // Just below the limit the handler runs: no session service is bound, so it answers UNAVAILABLE.
        StatusRuntimeException handled = assertThrows(StatusRuntimeException.class,
                () -> SessionsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                        .open(OpenSessionRequest.newBuilder().setClientName("x".repeat(8000)).build()));
        assertEquals(Status.Code.UNAVAILABLE, handled.getStatus().getCode(), handled.toString());
    }

    /** The configuration of a TLS server on a free loopback port. */
    private static Map<String, Object> tls(String clientAuth) throws Exception {
        Map<String, Object> config = new HashMap<>();
        config.put(GatewayConfig.ADDRESS_KEY, "127.0.0.1");
        config.put(GatewayConfig.PORT_KEY, freePort());
        config.put(GatewayConfig.TLS_CERT_CHAIN_KEY, certs.serverChain.toString());
        config.put(GatewayConfig.TLS_PRIVATE_KEY_KEY, certs.serverKey.toString());
        if (!clientAuth.equals("none")) {
            config.put(GatewayConfig.TLS_CLIENT_AUTH_KEY, clientAuth);
            config.put(GatewayConfig.TLS_TRUST_CERTS_KEY, certs.caCert.toString());
        }
        return config;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** A client trusting the test CA, presenting {@code chain} / {@code key} when given. */
    private ManagedChannel tlsClient(Path chain, Path key) throws Exception {
        SslContextBuilder b = SslContextBuilder.forClient().trustManager(certs.caCert.toFile());
        if (chain != null) {
            b.keyManager(chain.toFile(), key.toFile());
        }
        ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port())
                .sslContext(GrpcSslContexts.configure(b, SslProvider.JDK).build()).build();
        channels.add(c);
        return c;
    }

    private ManagedChannel plaintextClient() {
        ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext().build();
        channels.add(c);
        return c;
    }

    private static int listUnits(ManagedChannel channel) {
        // The deadline guards against a hang; it is not a timing assertion.
        return PlatformGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .listUnits(ListUnitsRequest.getDefaultInstance()).getUnitsCount();
    }

    private static Status.Code failure(ManagedChannel channel) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> listUnits(channel));
        return e.getStatus().getCode();
    }
}
