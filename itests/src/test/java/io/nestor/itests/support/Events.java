package io.nestor.itests.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Waiting on a {@link VmmSession}'s event subscription for an event of one kind. */
public final class Events {
    private Events() {
    }

    /**
     * The next event of {@code kind} within {@link Eventually#TIMEOUT}, skipping others (unit state
     * changes, for example); fails with what was seen otherwise. A liveness bound, not a timing
     * assertion.
     */
    public static Map<String, Object> next(VmmSession session, String kind) throws InterruptedException {
        long deadline = System.nanoTime() + Eventually.TIMEOUT.toNanos();
        List<Object> skipped = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            Map<String, Object> e = session.nextEvent(100);
            if (e == null) {
                continue;
            }
            if (kind.equals(e.get("kind"))) {
                return e;
            }
            if ("end".equals(e.get("kind"))) {
                throw new AssertionError("the event stream ended (" + e.get("status") + ") before a " + kind
                        + " event; skipped " + skipped);
            }
            skipped.add(e.get("kind"));
        }
        throw new AssertionError("no " + kind + " event within " + Eventually.TIMEOUT + "; skipped " + skipped);
    }
}
