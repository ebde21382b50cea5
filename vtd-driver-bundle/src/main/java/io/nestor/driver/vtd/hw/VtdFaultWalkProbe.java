package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;

/**
 * Re-reads the entry a walk fault stopped at, so that the fault reason can say what the hardware
 * saw there: a not-present entry or a present one with reserved bits (0x71 vs 0x72, 0x79 vs 0x7A),
 * and which permission a first-stage walk withheld (U/S, R/W or XD: 0x81, 0x85, 0x82). The vendor
 * neutral {@link io.nestor.api.translation.Fault} keeps only the stage, reason, level and address.
 *
 * <p>The probe walks the stage's tables from its root down to the faulting level (counted from the
 * leaf, as {@link PageTableFormat} counts), translating first-stage table addresses through stage 2
 * in a nested configuration, and accumulating permissions as the walk does. If the tables no longer
 * lead to that level (software changed them since) or a read fails, it answers {@code null} and
 * the caller keeps its plain reading. Reads only; no accessed / dirty updates.
 */
final class VtdFaultWalkProbe {

    /**
     * The entry at the faulting level and the permissions granted by every level down to it.
     *
     * @param descriptor the entry the walk stopped at
     * @param permissions {@link Permission} bits of the path, this entry included when it is valid
     */
    record Entry(long descriptor, int permissions) {
    }

    /**
     * @param firstStage probe the first stage (else the second, whose input is an IPA)
     * @param input the stage's input address
     * @param level the faulting level
     */
    static Entry probe(UnitContext unit, TranslationConfig config, boolean firstStage, long input, int level) {
        StageConfig stage = firstStage ? config.stage1() : config.stage2();
        if (stage == null || level < 0) {
            return null;
        }
        StageConfig nestedUnder = firstStage && config.mode() == TranslationMode.NESTED ? config.stage2() : null;
        PageTableFormat f = stage.format();
        long table = stage.rootAddress();
        int permissions = Permission.ALL;
        try {
            for (int l = f.levels() - 1; l >= level; l--) {
                long index = (input >>> f.levelShift(l)) & ((1L << f.indexBits(l)) - 1);
                long address = table + index * 8;
                if (nestedUnder != null) {
                    address = unit.translateStage2(nestedUnder, config.domainTag(), address, Access.READ);
                }
                long d = unit.memory().read64(address);
                int kind = f.kind(d, l);
                if (l == level) {
                    return new Entry(d, kind == PageTableFormat.KIND_INVALID ? permissions
                            : permissions & f.permissions(d, l));
                }
                if (kind != PageTableFormat.KIND_TABLE) {
                    return null;
                }
                permissions &= f.permissions(d, l);
                table = f.tableAddress(d, l);
            }
        } catch (FaultException | IommuException e) {
            return null;
        }
        return null;
    }

    private VtdFaultWalkProbe() {
    }
}
