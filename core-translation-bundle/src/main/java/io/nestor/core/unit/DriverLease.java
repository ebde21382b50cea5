package io.nestor.core.unit;

import io.nestor.api.driver.IommuDriver;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One binding of a driver to a unit, with the count of calls into it in progress — the short-term
 * users that iommufd drains before an object goes away. A unit gets a new lease on every bind, so
 * draining a departing driver waits only for the calls that entered it, never for its successor's.
 *
 * <p>Protocol (both sides use sequentially consistent atomics): a caller increments {@code calls}
 * and then checks {@code closed}; the unit sets {@code closed} and then waits for {@code calls}
 * to reach zero. Either the caller sees the lease closed and backs out, or the drain sees its call.
 *
 * <p>A caller holds the lease for one call, with try-with-resources: {@link #close()} ends that
 * call (it does not close the lease for others). The lease is shared, so entering allocates
 * nothing.
 */
public final class DriverLease implements AutoCloseable {
    private final DriverBinding binding;
    private final AtomicInteger calls = new AtomicInteger();
    private volatile boolean closed;

    DriverLease(DriverBinding binding) {
        this.binding = binding;
    }

    public DriverBinding binding() {
        return binding;
    }

    public IommuDriver driver() {
        return binding.driver();
    }

    /** Ends the caller's call into the driver. */
    @Override
    public void close() {
        exit();
    }

    /** Registers a call; false when the lease is closed (the caller must not use the driver). */
    boolean enter() {
        calls.incrementAndGet();
        if (closed) {
            exit();
            return false;
        }
        return true;
    }

    private void exit() {
        if (calls.decrementAndGet() == 0 && closed) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /**
     * Closes the lease and waits up to {@code timeoutMillis} for the calls in progress to return.
     *
     * @return the calls still in progress when the wait ended (0 when drained)
     */
    int closeAndDrain(long timeoutMillis) {
        closed = true;
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (this) {
            while (calls.get() > 0) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    break;
                }
                try {
                    wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return calls.get();
    }

    int callsInProgress() {
        return calls.get();
    }
}
