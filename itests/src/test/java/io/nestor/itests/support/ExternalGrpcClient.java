package io.nestor.itests.support;

import java.lang.reflect.Method;
import java.util.Map;

/**
 * The probe-side handle on {@code io.nestor.itests.outside.PlatformGrpcClient}, a gRPC client that
 * lives outside OSGi.
 *
 * <p>Pax Exam's native container runs Felix inside the failsafe JVM, and the test methods run in
 * the probe bundle, whose class loader sees only OSGi exports. The client class and grpc-java are on
 * the JVM's class path (test-classes and test dependencies), so this handle loads the client from
 * the <em>system</em> class loader and calls it reflectively; only {@code java.*} types cross the
 * boundary. Calls run with the system class loader as context class loader, as in a plain
 * application.
 */
public final class ExternalGrpcClient implements AutoCloseable {

    private static final String CLIENT_CLASS = "io.nestor.itests.outside.PlatformGrpcClient";

    private final Object client;
    private final Method health;
    private final Method unitStates;
    private final Method close;

    public ExternalGrpcClient(int port) {
        try {
            Class<?> type = Class.forName(CLIENT_CLASS, true, ClassLoader.getSystemClassLoader());
            client = Outside.withSystemLoader(() -> type.getConstructor(int.class).newInstance(port));
            health = type.getMethod("health", String.class);
            unitStates = type.getMethod("unitStates");
            close = type.getMethod("close");
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load " + CLIENT_CLASS + " from the system class loader", e);
        }
    }

    /** The health status name of {@code service} ("" for the server), or the gRPC error code. */
    public String health(String service) {
        return (String) call(health, service);
    }

    /** Unit name to {@code UnitState} enum name, from {@code ListUnits}. */
    @SuppressWarnings("unchecked")
    public Map<String, String> unitStates() {
        return (Map<String, String>) call(unitStates);
    }

    @Override
    public void close() {
        call(close);
    }

    private Object call(Method method, Object... args) {
        return Outside.withSystemLoader(() -> method.invoke(client, args));
    }
}
