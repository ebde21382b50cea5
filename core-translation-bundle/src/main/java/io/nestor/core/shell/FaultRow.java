package io.nestor.core.shell;

import io.nestor.core.fault.FaultEvent;

/** One recorded fault as the shell prints it: a line, plus the vendor record in hex with {@code -v}. */
public final class FaultRow {
    private final FaultEvent event;
    private final boolean verbose;

    FaultRow(FaultEvent event, boolean verbose) {
        this.event = event;
        this.verbose = verbose;
    }

    public FaultEvent event() {
        return event;
    }

    @Override
    public String toString() {
        String line = String.format("#%-5d %-8s %-14s pasid %-7s %s", event.sequence(), event.unit(),
                event.device().name(), event.pasid() < 0 ? "-" : Integer.toString(event.pasid()), event.fault());
        if (!verbose) {
            return line;
        }
        byte[] record = event.record();
        StringBuilder b = new StringBuilder(line).append("\n    record:");
        if (record.length == 0) {
            b.append(" none (dropped by the hardware, or no driver bound)");
        }
        for (int i = 0; i < record.length; i++) {
            b.append(i % 16 == 0 && i > 0 ? "\n           " : " ").append(String.format("%02x", record[i]));
        }
        return b.toString();
    }
}
