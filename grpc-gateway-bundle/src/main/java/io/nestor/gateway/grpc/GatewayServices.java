package io.nestor.gateway.grpc;

import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.nestor.api.platform.Platform;
import io.nestor.api.session.SessionService;
import io.nestor.gateway.grpc.dma.DmaGrpcService;
import io.nestor.gateway.grpc.events.EventsGrpcService;
import io.nestor.gateway.grpc.iommufd.IommufdGrpcService;
import io.nestor.gateway.grpc.memory.MemoryGrpcService;
import io.nestor.gateway.grpc.platform.PlatformBinding;
import io.nestor.gateway.grpc.platform.PlatformGrpcService;
import io.nestor.gateway.grpc.platform.PlatformHealth;
import io.nestor.gateway.grpc.session.SessionBinding;
import io.nestor.gateway.grpc.session.SessionInterceptor;
import io.nestor.gateway.grpc.session.SessionsGrpcService;
import io.nestor.gateway.grpc.vfio.VfioDeviceGrpcService;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The set of gRPC services the gateway serves, and the platform binding they answer from,
 * independent of transport and of OSGi (so the tests can serve it in-process).
 *
 * <p>The session services (Sessions, Memory, Iommufd, Dma, Events) answer from whichever
 * {@link SessionService} is bound, through {@link SessionInterceptor}, which resolves every call's
 * session; without a bound service they answer {@code UNAVAILABLE}.
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
    private final SessionBinding sessions = new SessionBinding();

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

    public void bindSessions(SessionService s) {
        sessions.bind(s);
    }

    public void unbindSessions(SessionService s) {
        sessions.unbind(s);
    }

    /**
     * The services to register on a server: nestor.v1.Platform, the session services behind the
     * session interceptor, grpc.health.v1 and reflection v1.
     */
    public List<ServerServiceDefinition> services() {
        SessionInterceptor interceptor = new SessionInterceptor(sessions);
        return List.of(
                platformService.bindService(),
                ServerInterceptors.intercept(new SessionsGrpcService(sessions), interceptor),
                ServerInterceptors.intercept(new MemoryGrpcService(), interceptor),
                ServerInterceptors.intercept(new IommufdGrpcService(), interceptor),
                ServerInterceptors.intercept(new DmaGrpcService(), interceptor),
                ServerInterceptors.intercept(new VfioDeviceGrpcService(), interceptor),
                ServerInterceptors.intercept(new EventsGrpcService(), interceptor),
                health.getHealthService().bindService(),
                ProtoReflectionServiceV1.newInstance().bindService());
    }

    /** Reports {@code NOT_SERVING} for good, so that watchers learn of the shutdown. */
    public void close() {
        if (closed.compareAndSet(false, true)) {
            health.enterTerminalState();
        }
    }
}
