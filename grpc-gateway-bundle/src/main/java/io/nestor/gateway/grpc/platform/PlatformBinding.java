package io.nestor.gateway.grpc.platform;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.platform.Platform;
import io.nestor.api.platform.PlatformListener;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link Platform} service the gateway currently answers from, as a dynamic, greedy, optional
 * Declarative Services reference delivers it.
 *
 * <p>Invariants: {@link #current()} is the most recently bound platform that has not been unbound
 * since. A greedy replacement binds the new service before it unbinds the old one, so unbinding a
 * platform that is no longer current leaves the current one in place. While a platform is bound, one
 * {@link PlatformListener} of this binding is registered on it; every bind, unbind and listener call
 * runs {@code onChange} after the binding is updated, so what it reads is up to date.
 */
public final class PlatformBinding {

    private final AtomicReference<Platform> current = new AtomicReference<>();
    private final Runnable onChange;
    private final PlatformListener listener;

    /** {@code onChange} runs after every change of the binding or of the bound platform's state. */
    public PlatformBinding(Runnable onChange) {
        this.onChange = Objects.requireNonNull(onChange, "onChange");
        this.listener = unit -> this.onChange.run();
    }

    public void bind(Platform platform) {
        Objects.requireNonNull(platform, "platform");
        current.set(platform);
        platform.addListener(listener);
        onChange.run();
    }

    public void unbind(Platform platform) {
        Objects.requireNonNull(platform, "platform");
        platform.removeListener(listener);
        current.compareAndSet(platform, null);
        onChange.run();
    }

    /** The bound platform, if any. */
    public Optional<Platform> current() {
        return Optional.ofNullable(current.get());
    }

    /**
     * The bound platform.
     *
     * @throws IommuException {@code EAGAIN} while no platform is bound: the core is stopped or
     *     restarting, so the same call may succeed later
     */
    public Platform require() {
        Platform platform = current.get();
        if (platform == null) {
            throw new IommuException(Errno.EAGAIN, "no io.nestor.api.platform.Platform service is registered;"
                    + " the platform core is not running");
        }
        return platform;
    }
}
