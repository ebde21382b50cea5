package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.RegisterField;

/**
 * GCMD_REG (0x18, write-only commands) and GSTS_REG (0x1C, read-only status), 32 bits each. A
 * command bit and its status bit share the same position (Linux {@code DMA_GCMD_*} /
 * {@code DMA_GSTS_*}; {@code hw-formats.md} section 1.1). Both are zero after reset: translation,
 * queued invalidation and interrupt remapping disabled, no root table latched.
 */
public final class VtdGlobalStatusRegister {

    /** Translation enable (GCMD.TE) / translation enable status (GSTS.TES). */
    public static final RegisterField TES = RegisterField.bit("TES", 31);
    /** Root table pointer latched (RTPS after SRTP). */
    public static final RegisterField RTPS = RegisterField.bit("RTPS", 30);
    public static final RegisterField FLS = RegisterField.bit("FLS", 29);
    public static final RegisterField AFLS = RegisterField.bit("AFLS", 28);
    public static final RegisterField WBFS = RegisterField.bit("WBFS", 27);
    /** Queued invalidation enabled. */
    public static final RegisterField QIES = RegisterField.bit("QIES", 26);
    public static final RegisterField IRES = RegisterField.bit("IRES", 25);
    public static final RegisterField IRTPS = RegisterField.bit("IRTPS", 24);
    public static final RegisterField CFIS = RegisterField.bit("CFIS", 23);

    /** Whether GSTS says the unit translates DMA. */
    public static boolean translationEnabled(int gsts) {
        return TES.isSet(Integer.toUnsignedLong(gsts));
    }

    private VtdGlobalStatusRegister() {
    }
}
