package io.nestor.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GatewayConfigTest {

    private static final Function<String, String> NO_FRAMEWORK_PROPERTIES = key -> null;

    @Test
    void defaultsToLoopbackPort50051() throws Exception {
        GatewayConfig config = GatewayConfig.resolve(Map.of(), NO_FRAMEWORK_PROPERTIES);

        assertEquals(InetAddress.getByName("127.0.0.1"), config.address());
        assertEquals(50051, config.port());
    }

    @Test
    void frameworkPropertiesOverrideTheDefaults() throws Exception {
        Map<String, String> framework = Map.of("nestor.grpc.address", "0.0.0.0", "nestor.grpc.port", " 50100 ");

        GatewayConfig config = GatewayConfig.resolve(Map.of("component.name", "x"), framework::get);

        assertEquals(InetAddress.getByName("0.0.0.0"), config.address());
        assertEquals(50100, config.port());
    }

    @Test
    void configAdminPropertiesOverrideTheFrameworkProperties() throws Exception {
        Map<String, String> framework = Map.of("nestor.grpc.address", "0.0.0.0", "nestor.grpc.port", "50100");

        GatewayConfig config = GatewayConfig.resolve(Map.of("address", "::1", "port", 50200), framework::get);

        assertEquals(InetAddress.getByName("::1"), config.address());
        assertEquals(50200, config.port());
        assertEquals(50200, config.socketAddress().getPort());
    }

    @Test
    void eachSettingFallsBackOnItsOwn() throws Exception {
        GatewayConfig config = GatewayConfig.resolve(Map.of("port", 50300L),
                Map.of("nestor.grpc.address", "127.0.0.2")::get);

        assertEquals(InetAddress.getByName("127.0.0.2"), config.address());
        assertEquals(50300, config.port());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "65536", "-1", "abc", "", "50051.5"})
    void aBadConfigAdminPortIsRejectedByName(String port) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GatewayConfig.resolve(Map.of("port", port), NO_FRAMEWORK_PROPERTIES));

        assertTrue(e.getMessage().contains("io.nestor.gateway.grpc property 'port' = '" + port + "'"), e.getMessage());
    }

    @Test
    void aBadFrameworkPortIsRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GatewayConfig.resolve(Map.of(), Map.of("nestor.grpc.port", "70000")::get));

        assertTrue(e.getMessage().contains("framework property 'nestor.grpc.port' = '70000' is not in 1..65535"),
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "[::g]", "[1.2.3.4"})
    void aBadAddressIsRejectedByName(String address) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GatewayConfig.resolve(Map.of("address", address), NO_FRAMEWORK_PROPERTIES));

        assertTrue(e.getMessage().contains("property 'address' = '" + address.trim() + "'"), e.getMessage());
    }

    @Test
    void theRecordRejectsAPortOutsideTheRange() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");

        assertThrows(IllegalArgumentException.class, () -> new GatewayConfig(loopback, 0));
        assertThrows(IllegalArgumentException.class, () -> new GatewayConfig(loopback, 65536));
        assertEquals(65535, new GatewayConfig(loopback, 65535).port());
    }

    @TempDir
    Path dir;

    @Test
    void plaintextAndTheFullMessageLimitByDefault() {
        GatewayConfig config = GatewayConfig.resolve(Map.of(), NO_FRAMEWORK_PROPERTIES);

        assertFalse(config.usesTls());
        assertNull(config.tls());
        assertEquals(GatewayLimits.MAX_MESSAGE_BYTES, config.maxInboundMessageBytes());
    }

    @Test
    void theMessageLimitCanBeLoweredButNotRaised() {
        assertEquals(65536, GatewayConfig.resolve(Map.of("max.inbound.message.bytes", " 65536 "),
                NO_FRAMEWORK_PROPERTIES).maxInboundMessageBytes());
        for (String bad : new String[] {"4095", Integer.toString(GatewayLimits.MAX_MESSAGE_BYTES + 1), "lots"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GatewayConfig.resolve(Map.of("max.inbound.message.bytes", bad), NO_FRAMEWORK_PROPERTIES));
            assertTrue(e.getMessage().contains("property 'max.inbound.message.bytes' = '" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void tlsWithClientAuthResolvesTheFiles() throws IOException {
        Map<String, Object> c = tls();
        c.put("tls.client.auth", "REQUIRE");
        c.put("tls.trust.certs.file", file("ca.pem").toString());

        GatewayConfig config = GatewayConfig.resolve(c, NO_FRAMEWORK_PROPERTIES);

        assertTrue(config.usesTls());
        assertEquals(dir.resolve("chain.pem"), config.tls().certificateChain());
        assertEquals(dir.resolve("key.pem"), config.tls().privateKey());
        assertEquals(dir.resolve("ca.pem"), config.tls().trustCertificates());
        assertEquals(GatewayTls.ClientAuthMode.REQUIRE, config.tls().clientAuth());
    }

    @Test
    void tlsWithoutClientAuthNeedsNoTrustCertificates() throws IOException {
        GatewayConfig config = GatewayConfig.resolve(tls(), NO_FRAMEWORK_PROPERTIES);

        assertEquals(GatewayTls.ClientAuthMode.NONE, config.tls().clientAuth());
        assertNull(config.tls().trustCertificates());
    }

    @Test
    void inconsistentTlsSettingsAreRejectedByName() throws IOException {
        Map<String, Object> chainOnly = tls();
        chainOnly.remove("tls.private.key.file");
        assertRejected(chainOnly, "property 'tls.cert.chain.file'", "is set without 'tls.private.key.file'");

        Map<String, Object> keyOnly = tls();
        keyOnly.remove("tls.cert.chain.file");
        assertRejected(keyOnly, "property 'tls.private.key.file'", "is set without 'tls.cert.chain.file'");

        Map<String, Object> authWithoutTrust = tls();
        authWithoutTrust.put("tls.client.auth", "optional");
        assertRejected(authWithoutTrust, "property 'tls.client.auth' = 'optional'", "needs 'tls.trust.certs.file'");

        Map<String, Object> trustWithoutAuth = tls();
        trustWithoutAuth.put("tls.trust.certs.file", file("ca.pem").toString());
        assertRejected(trustWithoutAuth, "property 'tls.trust.certs.file'", "'tls.client.auth' is none");

        Map<String, Object> badMode = tls();
        badMode.put("tls.client.auth", "sometimes");
        assertRejected(badMode, "property 'tls.client.auth' = 'sometimes'", "is not one of none, optional, require");

        assertRejected(new HashMap<>(Map.of("tls.client.auth", "require")), "property 'tls.client.auth'",
                "needs TLS");
    }

    @Test
    void aMissingOrUnreadableTlsFileIsRejectedByName() throws IOException {
        Map<String, Object> missing = tls();
        Path absent = dir.resolve("absent.pem");
        missing.put("tls.private.key.file", absent.toString());
        assertRejected(missing, "property 'tls.private.key.file' = '" + absent + "'", "does not exist");

        Map<String, Object> directory = tls();
        directory.put("tls.cert.chain.file", dir.toString());
        assertRejected(directory, "property 'tls.cert.chain.file' = '" + dir + "'", "is not a regular file");

        Map<String, Object> empty = tls();
        empty.put("tls.cert.chain.file", " ");
        assertRejected(empty, "property 'tls.cert.chain.file' = ''", "is empty");
    }

    @Test
    void aKeyThatIsNotPemIsRejectedWhenTheContextIsBuilt() throws IOException {
        Files.writeString(file("key.pem"), "not a key");
        Files.writeString(file("chain.pem"), "not a certificate");
        GatewayTls tls = GatewayConfig.resolve(tls(), NO_FRAMEWORK_PROPERTIES).tls();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, tls::serverContext);
        assertTrue(e.getMessage().startsWith("gRPC gateway: cannot build the TLS context from certificate chain "
                + dir.resolve("chain.pem")), e.getMessage());
    }

    private Map<String, Object> tls() throws IOException {
        Map<String, Object> c = new HashMap<>();
        c.put("tls.cert.chain.file", file("chain.pem").toString());
        c.put("tls.private.key.file", file("key.pem").toString());
        return c;
    }

    private Path file(String name) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            Files.writeString(p, "placeholder");
        }
        return p;
    }

    private static void assertRejected(Map<String, Object> configuration, String names, String problem) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GatewayConfig.resolve(configuration, NO_FRAMEWORK_PROPERTIES));
        assertTrue(e.getMessage().contains(names) && e.getMessage().contains(problem), e.getMessage());
    }
}
