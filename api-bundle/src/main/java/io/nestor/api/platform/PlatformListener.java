package io.nestor.api.platform;

/** Told about changes of the platform's state; see {@link Platform#addListener}. */
@FunctionalInterface
public interface PlatformListener {

    /** Something changed; {@code unit} names the unit, or is {@code null} for a topology change. */
    void platformChanged(String unit);
}
