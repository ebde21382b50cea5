package io.nestor.api.translation;

import java.util.Objects;

/**
 * Thrown by the hardware half of a driver when decoding a configuration faults: the core turns it
 * into a fault record for the device rather than an error for the caller.
 */
public class FaultException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Fault fault;

    public FaultException(Fault fault) {
        super(Objects.requireNonNull(fault, "fault").toString(), null, false, false);
        this.fault = fault;
    }

    public Fault fault() {
        return fault;
    }
}
