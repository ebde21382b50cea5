package io.nestor.gateway.grpc.platform;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.nestor.api.platform.Platform;
import io.nestor.api.platform.UnitState;
import io.nestor.api.platform.UnitStatus;
import io.nestor.gateway.grpc.proto.PlatformGrpc;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Derives the gRPC health of the gateway from the platform's state.
 *
 * <p>Invariant: after each {@link #update()}, the overall service ({@code ""}) and
 * {@code nestor.v1.Platform} are {@code SERVING} exactly when a {@link Platform} is bound and every
 * unit it lists is {@link UnitState#ACTIVE}, that is when the core and a driver for every unit kind
 * are running; otherwise both are {@code NOT_SERVING}. An empty topology has no unit waiting for a
 * driver and is therefore serving.
 *
 * <p>{@link #update()} is synchronized so that concurrent updates publish in the order in which they
 * read the platform: the last writer has read the newest state. It relies on the platform notifying
 * its listeners after it has released its own locks, as {@code Platform#addListener} promises.
 */
public final class PlatformHealth {

    /** The health service name of the platform service, {@code nestor.v1.Platform}. */
    public static final String PLATFORM_SERVICE = PlatformGrpc.SERVICE_NAME;

    private final HealthStatusManager health;
    private final Supplier<Optional<Platform>> platform;

    public PlatformHealth(HealthStatusManager health, Supplier<Optional<Platform>> platform) {
        this.health = Objects.requireNonNull(health, "health");
        this.platform = Objects.requireNonNull(platform, "platform");
    }

    /** Recomputes and publishes the status; returns what it published. */
    public synchronized ServingStatus update() {
        ServingStatus status = platform.get().map(PlatformHealth::statusOf).orElse(ServingStatus.NOT_SERVING);
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
        health.setStatus(PLATFORM_SERVICE, status);
        return status;
    }

    private static ServingStatus statusOf(Platform platform) {
        for (UnitStatus unit : platform.units()) {
            if (unit.state() != UnitState.ACTIVE) {
                return ServingStatus.NOT_SERVING;
            }
        }
        return ServingStatus.SERVING;
    }
}
