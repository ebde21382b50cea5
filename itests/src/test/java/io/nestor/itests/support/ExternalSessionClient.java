package io.nestor.itests.support;

import java.lang.reflect.InvocationTargetException;
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
            client = call(null, type.getConstructor(int.class), port);
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
            return call(client, type.getMethod(name, types), args);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object call(Object target, java.lang.reflect.Executable member, Object... args) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(ClassLoader.getSystemClassLoader());
        try {
            if (member instanceof Method) {
                return ((Method) member).invoke(target, args);
            }
            return ((java.lang.reflect.Constructor<?>) member).newInstance(args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IllegalStateException(cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
