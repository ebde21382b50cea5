package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.TranslationConfig;

/**
 * The hardware's view of which translation applies to a transaction.
 *
 * <p>With CR0.SMMUEN clear the SMMU does not use its stream table: every transaction follows
 * SMMU_GBPA, aborting when GBPA.ABORT is set and otherwise passing through untranslated. With SMMUEN
 * set the SMMU would look the StreamID up in the stream table; that decode does not exist in this
 * driver version and the call says so with {@code EOPNOTSUPP} instead of inventing a result.
 */
public final class Smmuv3ConfigDecoder {

    public static TranslationConfig decode(UnitContext unit, DeviceInfo device, int pasid) {
        int cr0 = unit.registers().read32(Smmuv3RegisterOffsets.CR0);
        if (!Smmuv3ControlRegisters.smmuEnabled(cr0)) {
            int gbpa = unit.registers().read32(Smmuv3RegisterOffsets.GBPA);
            return Smmuv3ControlRegisters.bypassAborts(gbpa) ? TranslationConfig.abort() : TranslationConfig.bypass(0);
        }
        throw new IommuException(Errno.EOPNOTSUPP,
                unit.name() + ": stream table decode not implemented in this driver version");
    }

    private Smmuv3ConfigDecoder() {
    }
}
