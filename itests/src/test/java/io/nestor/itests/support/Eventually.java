package io.nestor.itests.support;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Bounded waiting for a state that another thread (SCR, the gateway's event loop) establishes
 * asynchronously. A wait that runs out fails with the last observed value, never hangs; it is a
 * liveness bound, not a timing assertion.
 */
public final class Eventually {

    /** Generous: a loaded 2-core CI machine starting Felix, SCR and Netty. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Eventually() {
    }

    /** Polls {@code probe} until it equals {@code expected}; fails with the last value otherwise. */
    public static <T> void assertEventually(String what, T expected, Supplier<T> probe) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        T last = probe.get();
        while (!Objects.equals(expected, last) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
            last = probe.get();
        }
        if (!Objects.equals(expected, last)) {
            throw new AssertionError(what + ": expected <" + expected + "> within " + TIMEOUT
                    + " but was <" + last + ">");
        }
    }
}
