package io.nestor.core.shell;

import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.platform.UnitStatus;
import java.util.Map;

/** One unit as the shell prints it: a line, or a block with features and registers. */
public final class UnitRow {
    private final UnitStatus unit;
    private final boolean verbose;

    UnitRow(UnitStatus unit, boolean verbose) {
        this.unit = unit;
        this.verbose = verbose;
    }

    public UnitStatus unit() {
        return unit;
    }

    @Override
    public String toString() {
        String line = String.format("%-8s %-11s %-11s driver %s", unit.name(), unit.kind(), unit.state(),
                unit.driverVersion().isEmpty() ? "-" : unit.driverVersion());
        if (!verbose) {
            return line;
        }
        StringBuilder b = new StringBuilder(line).append('\n');
        UnitFeatures f = unit.features();
        b.append(String.format("    nesting=%b pasid-bits=%d input-bits=%d output-bits=%d page-sizes=%s%n",
                f.nesting(), f.pasidBits(), f.inputAddressBits(), f.outputAddressBits(), sizes(f.pageSizes())));
        b.append(String.format("    five-level-stage1=%b page-requests=%b device-tlb=%b dirty-tracking=%b stall=%b%n",
                f.fiveLevelStage1(), f.pageRequests(), f.deviceTlb(), f.dirtyTracking(), f.stall()));
        HwInfo hw = unit.hwInfo();
        if (hw == null) {
            b.append("    hw_info: not read yet (no driver has reset the unit)");
        } else {
            b.append(String.format("    hw_info type %d, %d bytes, capabilities 0x%x, max_pasid_log2 %d",
                    hw.type(), hw.data().length, hw.capabilities(), hw.maxPasidLog2()));
            for (Map.Entry<String, Long> r : hw.registers().entrySet()) {
                b.append(String.format("%n    %-10s 0x%016x", r.getKey(), r.getValue()));
            }
        }
        return b.toString();
    }

    static String sizes(long mask) {
        StringBuilder b = new StringBuilder();
        for (int bit = 0; bit < 64; bit++) {
            if ((mask & (1L << bit)) != 0) {
                if (b.length() > 0) {
                    b.append(',');
                }
                b.append(bit >= 30 ? (1L << (bit - 30)) + "G" : bit >= 20 ? (1L << (bit - 20)) + "M"
                        : bit >= 10 ? (1L << (bit - 10)) + "K" : String.valueOf(1L << bit));
            }
        }
        return b.toString();
    }
}
