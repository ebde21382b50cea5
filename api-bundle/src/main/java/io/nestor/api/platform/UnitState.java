package io.nestor.api.platform;

/** Whether a unit can serve requests. */
public enum UnitState {
    /** A driver of the unit's kind is bound; the unit translates. */
    ACTIVE,
    /** No driver of the unit's kind is present; the unit's state is kept, requests wait or fail. */
    UNAVAILABLE
}
