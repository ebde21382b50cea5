package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.RegisterField;

/**
 * VER_REG (offset 0x00, 32 bits): the architecture version the unit implements, MAX in bits 7:4
 * and MIN in bits 3:0 (Linux {@code DMAR_VER_MAJOR} / {@code DMAR_VER_MINOR}).
 *
 * <p>This unit reports 6.0. Scalable mode first appeared in spec revision 3.0, and the features
 * Nestor offers (second-stage A/D, nesting, RID_PASID) are described by the 4.x+ specifications;
 * 6.0 is what recent server parts report. QEMU reports 1.0 even in scalable mode, and Linux only
 * prints the value, so no software behaviour depends on it.
 */
public final class VtdVersionRegister {

    public static final RegisterField MIN = RegisterField.bits("MIN", 3, 0);
    public static final RegisterField MAX = RegisterField.bits("MAX", 7, 4);

    public static final int MAJOR_VERSION = 6;
    public static final int MINOR_VERSION = 0;

    /** The reset value of VER_REG. */
    public static int resetValue() {
        return (int) MIN.insert(MAX.insert(0, MAJOR_VERSION), MINOR_VERSION);
    }

    private VtdVersionRegister() {
    }
}
