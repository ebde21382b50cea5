package io.nestor.gateway.grpc.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.nestor.api.platform.UnitState;
import io.nestor.gateway.grpc.InMemoryPlatform;
import io.nestor.gateway.grpc.InProcessGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** grpc.health.v1 as a client sees it while the platform and its units come and go. */
class PlatformHealthTest {

    private InProcessGateway gateway;
    private HealthGrpc.HealthBlockingStub health;

    @BeforeEach
    void start() throws Exception {
        gateway = new InProcessGateway();
        health = HealthGrpc.newBlockingStub(gateway.channel);
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
    }

    @Test
    void notServingBeforeAnyPlatformIsBound() {
        assertStatus(ServingStatus.NOT_SERVING);
    }

    @Test
    void servingWhileEveryUnitIsActive() {
        gateway.services.bindPlatform(new InMemoryPlatform());

        assertStatus(ServingStatus.SERVING);
    }

    @Test
    void followsAUnitThroughTheListener() {
        InMemoryPlatform platform = new InMemoryPlatform();
        gateway.services.bindPlatform(platform);
        assertStatus(ServingStatus.SERVING);

        platform.setState("smmu0", UnitState.UNAVAILABLE);
        assertStatus(ServingStatus.NOT_SERVING);

        platform.setState("smmu0", UnitState.ACTIVE);
        assertStatus(ServingStatus.SERVING);

        platform.setState("dmar0", UnitState.UNAVAILABLE);
        assertStatus(ServingStatus.NOT_SERVING);
    }

    @Test
    void unbindingThePlatformStopsServingAndRemovesTheListener() {
        InMemoryPlatform platform = new InMemoryPlatform();
        gateway.services.bindPlatform(platform);
        assertEquals(1, platform.listenerCount());

        gateway.services.unbindPlatform(platform);

        assertStatus(ServingStatus.NOT_SERVING);
        assertEquals(0, platform.listenerCount());
    }

    @Test
    void aGreedyReplacementKeepsServingFromTheNewPlatform() {
        InMemoryPlatform old = new InMemoryPlatform();
        InMemoryPlatform replacement = new InMemoryPlatform();
        gateway.services.bindPlatform(old);

        gateway.services.bindPlatform(replacement);
        gateway.services.unbindPlatform(old);
        assertStatus(ServingStatus.SERVING);

        replacement.setState("smmu0", UnitState.UNAVAILABLE);
        assertStatus(ServingStatus.NOT_SERVING);
    }

    @Test
    void frozenNotServingAfterClose() throws Exception {
        gateway.services.bindPlatform(new InMemoryPlatform());
        gateway.services.close();

        assertStatus(ServingStatus.NOT_SERVING);
    }

    private void assertStatus(ServingStatus expected) {
        assertEquals(expected, check(""), "overall");
        assertEquals(expected, check("nestor.v1.Platform"), "nestor.v1.Platform");
    }

    private ServingStatus check(String service) {
        return health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }
}
