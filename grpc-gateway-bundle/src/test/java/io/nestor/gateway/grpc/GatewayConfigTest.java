package io.nestor.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
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
}
