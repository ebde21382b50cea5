package io.nestor.core.shell;

import io.nestor.core.cache.StaleTranslation;
import java.util.List;

/**
 * Strict mode as the shell shows it: whether it is on, how many stale translations it has found
 * since the platform started, and the most recent ones.
 */
public record StrictModeStatus(boolean on, long staleTranslations, List<StaleTranslation> recent) {
    public StrictModeStatus {
        recent = List.copyOf(recent);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(String.format("strict mode %s, %d stale translation(s) found",
                on ? "on" : "off", staleTranslations));
        for (StaleTranslation s : recent) {
            b.append("\n    ").append(s);
        }
        return b.toString();
    }
}
