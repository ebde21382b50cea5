package io.nestor.itests.support;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;

/**
 * The probe-side handle on {@code io.nestor.itests.outside.SessionGrpcClient}, loaded from the
 * system class loader and called reflectively, for the reasons {@link ExternalGrpcClient} gives.
 */
public final class ExternalSessionClient implements AutoCloseable {
    private static final String CLIENT_CLASS = "io.nestor.itests.outside.SessionGrpcClient";

    private final Class<?> type;
    private final Object client;

    public ExternalSessionClient(int port) {
        try {
            type = Class.forName(CLIENT_CLASS, true, ClassLoader.getSystemClassLoader());
            Constructor<?> constructor = type.getConstructor(int.class);
            client = Outside.withSystemLoader(() -> constructor.newInstance(port));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load " + CLIENT_CLASS + " from the system class loader", e);
        }
    }

    public String open(String clientName) {
        return (String) invoke("open", new Class<?>[] {String.class}, clientName);
    }

    public String createRegion(String id, long size) {
        return (String) invoke("createRegion", new Class<?>[] {String.class, long.class}, id, size);
    }

    public int regionCount(String id) {
        return (Integer) invoke("regionCount", new Class<?>[] {String.class}, id);
    }

    public String closeSession(String id) {
        return (String) invoke("close", new Class<?>[] {String.class}, id);
    }

    @Override
    public void close() {
        invoke("close", new Class<?>[0]);
    }

    private Object invoke(String name, Class<?>[] types, Object... args) {
        try {
            Method method = type.getMethod(name, types);
            return Outside.withSystemLoader(() -> method.invoke(client, args));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }
}
