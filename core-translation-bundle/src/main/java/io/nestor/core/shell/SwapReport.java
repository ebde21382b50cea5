package io.nestor.core.shell;

import java.util.List;

/**
 * What a driver swap did, as {@code nestor:swap} reports it.
 *
 * @param what the bundle updated, or the unit switched
 * @param fromVersion the driver version serving before
 * @param toVersion the driver version serving after
 * @param units the units that were rebound
 * @param pauseNanos how long the units had no driver serving them (bundle update) or the rebind
 *     took, drain included (version switch): the longest a request could have waited
 */
public record SwapReport(String what, String fromVersion, String toVersion, List<String> units, long pauseNanos) {
    public SwapReport {
        units = List.copyOf(units);
    }

    @Override
    public String toString() {
        return String.format("%s: driver %s -> %s, units %s, pause %.3f ms", what, fromVersion, toVersion,
                units.isEmpty() ? "-" : String.join(", ", units), pauseNanos / 1e6);
    }
}
