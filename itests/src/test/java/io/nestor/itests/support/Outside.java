package io.nestor.itests.support;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * The bridge from the Pax Exam probe to gRPC clients that live outside OSGi (see
 * {@code io.nestor.itests.outside.PlatformGrpcClient} for why they must). The outside class is
 * loaded from the failsafe JVM's system class loader and implements that loader's copy of a
 * {@code support} interface; the probe gets a {@link Proxy} of its own copy that forwards each call
 * by name and parameter types. Only {@code java.*} types cross, except {@link RpcFailure}, which is
 * rebuilt on the probe's side.
 *
 * <p>Calls run with the system class loader as context class loader, as in a plain application
 * (grpc-java looks up its providers through it).
 */
public final class Outside {
    private static final String SESSION_CLASS = "io.nestor.itests.outside.GrpcVmmSession";

    private Outside() {
    }

    /** Opens a session named {@code clientName} with the lease asked for (0: the server's default). */
    public static VmmSession session(int port, String clientName, long leaseMillis) {
        return create(VmmSession.class, SESSION_CLASS, new Class<?>[] {int.class, String.class, long.class},
                port, clientName, leaseMillis);
    }

    /** A channel that uses the existing session {@code sessionId} (another client of the same session). */
    public static VmmSession attach(int port, String sessionId) {
        return create(VmmSession.class, SESSION_CLASS, new Class<?>[] {int.class, String.class}, port, sessionId);
    }

    private static <T> T create(Class<T> face, String className, Class<?>[] types, Object... args) {
        Object target = withSystemLoader(() -> Class.forName(className, true, ClassLoader.getSystemClassLoader())
                .getConstructor(types).newInstance(args));
        InvocationHandler handler = (proxy, method, margs) -> {
            if (method.getDeclaringClass() == Object.class) {
                return method.getName().equals("equals") ? proxy == margs[0]
                        : method.getName().equals("hashCode") ? System.identityHashCode(proxy)
                        : face.getSimpleName() + "->" + target;
            }
            Method m = target.getClass().getMethod(method.getName(), method.getParameterTypes());
            return withSystemLoader(() -> m.invoke(target, margs));
        };
        return face.cast(Proxy.newProxyInstance(face.getClassLoader(), new Class<?>[] {face}, handler));
    }

    /** A call across the boundary: a constructor or method of an outside object, invoked reflectively. */
    interface Call {
        Object run() throws Exception;
    }

    /**
     * Runs {@code call} with the system class loader as context class loader; a throwable the outside
     * code threw comes out as it is (an outside {@link RpcFailure} as the probe's), anything else
     * that goes wrong as an {@link IllegalStateException}. The {@code External*Client} handles call
     * through it too.
     */
    static Object withSystemLoader(Call call) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(ClassLoader.getSystemClassLoader());
        try {
            return call.run();
        } catch (InvocationTargetException e) {
            throw translate(e.getCause());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** The outside's RpcFailure becomes the probe's; other java.* throwables pass as they are. */
    @SuppressWarnings("unchecked")
    private static RuntimeException translate(Throwable cause) {
        if (cause.getClass().getName().equals(RpcFailure.class.getName()) && cause.getClass() != RpcFailure.class) {
            try {
                Class<?> c = cause.getClass();
                return new RpcFailure((String) c.getMethod("code").invoke(cause),
                        (String) c.getMethod("reason").invoke(cause),
                        (Map<String, String>) c.getMethod("metadata").invoke(cause),
                        (String) c.getMethod("description").invoke(cause));
            } catch (ReflectiveOperationException e) {
                return new IllegalStateException(cause.toString(), e);
            }
        }
        if (cause instanceof RuntimeException) {
            return (RuntimeException) cause;
        }
        if (cause instanceof Error) {
            throw (Error) cause;
        }
        return new IllegalStateException(cause);
    }
}
