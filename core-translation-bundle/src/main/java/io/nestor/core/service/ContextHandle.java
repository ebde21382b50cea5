package io.nestor.core.service;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.iommufd.IommufdContext;
import java.util.function.Function;

/**
 * One iommufd context of a session as a descriptor: calls hold it while they run, as an ioctl holds
 * its file ({@code fget} / {@code fput}), and closing it only marks it; the context is closed when
 * the last running call leaves, as {@code iommufd_fops_release} runs when the last file reference
 * drops. So a close never destroys an object a running command still holds.
 *
 * <p>Invariants: once {@link #close()} is called no new call enters (EBADF); the context is closed
 * exactly once, by whichever of {@link #close()} and the last {@link #call} comes last.
 */
final class ContextHandle {
    private final int handle;
    private final IommufdContext context;
    private int running;
    private boolean closing;
    private boolean released;

    ContextHandle(int handle, IommufdContext context) {
        this.handle = handle;
        this.context = context;
    }

    /** The handle the session gave the context (its "descriptor"). */
    int handle() {
        return handle;
    }

    IommufdContext context() {
        return context;
    }

    /**
     * Runs {@code body} on the context while holding it.
     *
     * @throws IommuException EBADF once the handle is closing
     */
    <T> T call(Function<IommufdContext, T> body) {
        synchronized (this) {
            if (closing) {
                throw IommuException.of(Errno.EBADF, "iommufd %d is closed", Integer.toUnsignedLong(handle));
            }
            running++;
        }
        try {
            return body.apply(context);
        } finally {
            boolean last;
            synchronized (this) {
                running--;
                last = closing && running == 0;
            }
            if (last) {
                release();
            }
        }
    }

    /** Marks the handle closed; closes the context now, or when the last running call leaves. */
    void close() {
        boolean now;
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
            now = running == 0;
        }
        if (now) {
            release();
        }
    }

    private void release() {
        context.close();
        synchronized (this) {
            released = true;
            notifyAll();
        }
    }

    /** Waits up to {@code millis} for the context to be closed; whether it is. */
    synchronized boolean awaitReleased(long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (!released) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000L));
        }
        return true;
    }
}
