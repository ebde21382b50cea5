package io.nestor.core.cache;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;

/**
 * The strict-mode diagnostics of one IOTLB: a count, the most recent {@value #KEPT} reports, and an
 * optional listener (the core's logger or a test). Only strict mode writes here, so it may lock.
 */
final class StaleTranslationLog {
    static final int KEPT = 64;

    private final ArrayDeque<StaleTranslation> recent = new ArrayDeque<>();
    private long count;
    private volatile Consumer<StaleTranslation> listener = t -> { };

    void report(StaleTranslation stale) {
        synchronized (this) {
            if (recent.size() == KEPT) {
                recent.removeFirst();
            }
            recent.addLast(stale);
            count++;
        }
        listener.accept(stale);
    }

    synchronized long count() {
        return count;
    }

    synchronized List<StaleTranslation> recent() {
        return List.copyOf(recent);
    }

    void listener(Consumer<StaleTranslation> listener) {
        this.listener = listener == null ? t -> { } : listener;
    }
}
