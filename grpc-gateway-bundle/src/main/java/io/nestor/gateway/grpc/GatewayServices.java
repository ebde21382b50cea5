package io.nestor.gateway.grpc;

import io.grpc.BindableService;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.nestor.api.platform.Platform;
import io.nestor.gateway.grpc.platform.PlatformBinding;
import io.nestor.gateway.grpc.platform.PlatformGrpcService;
import io.nestor.gateway.grpc.platform.PlatformHealth;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The set of gRPC services the gateway serves, and the platform binding they answer from,
 * independent of transport and of OSGi (so the tests can serve it in-process).
 *
 * <p>Invariants: the health status is {@code NOT_SERVING} from construction until a platform whose
 * units are all active is bound (gRPC's health manager would otherwise start as {@code SERVING});
 * it follows every bind, unbind and platform change; after {@link #close()} it is frozen as
 * {@code NOT_SERVING}, as the server shuts down. Closing twice is harmless.
 */
public final class GatewayServices {

    private final HealthStatusManager health = new HealthStatusManager();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final PlatformBinding platform;
    private final PlatformHealth platformHealth;
    private final PlatformGrpcService platformService;

    public GatewayServices() {
        this.platform = new PlatformBinding(this::platformChanged);
        this.platformHealth = new PlatformHealth(health, platform::current);
        this.platformService = new PlatformGrpcService(platform);
        platformHealth.update();
    }

    private void platformChanged() {
        platformHealth.update();
    }

    public void bindPlatform(Platform p) {
        platform.bind(p);
    }

    public void unbindPlatform(Platform p) {
        platform.unbind(p);
    }

    /** The services to register on a server: nestor.v1.Platform, grpc.health.v1 and reflection v1. */
    public List<BindableService> services() {
        return List.of(platformService, health.getHealthService(), ProtoReflectionServiceV1.newInstance());
    }

    /** Reports {@code NOT_SERVING} for good, so that watchers learn of the shutdown. */
    public void close() {
        if (closed.compareAndSet(false, true)) {
            health.enterTerminalState();
        }
    }
}
