package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.TranslationConfig;

/**
 * The hardware's view of which translation applies to a request.
 *
 * <p>With GSTS.TES clear the unit does not remap: DMA passes through untranslated (VT-d spec 10.4.4,
 * "translation enable"). With TES set the unit would walk the scalable-mode root, context and PASID
 * tables; that decode does not exist in this driver version and the call says so with
 * {@code EOPNOTSUPP} instead of inventing a result.
 */
public final class VtdConfigDecoder {

    public static TranslationConfig decode(UnitContext unit, DeviceInfo device, int pasid) {
        int gsts = unit.registers().read32(VtdRegisterOffsets.GSTS);
        if (!VtdGlobalStatusRegister.translationEnabled(gsts)) {
            return TranslationConfig.bypass(0);
        }
        throw new IommuException(Errno.EOPNOTSUPP,
                unit.name() + ": scalable-mode table decode not implemented in this driver version");
    }

    private VtdConfigDecoder() {
    }
}
