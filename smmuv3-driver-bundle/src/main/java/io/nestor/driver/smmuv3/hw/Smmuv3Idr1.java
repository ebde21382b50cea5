package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;

import io.nestor.api.driver.UnitFeatures;

/**
 * SMMU_IDR1 (0x04, 32 bits, read-only): StreamID and SubstreamID widths and the maximum queue
 * sizes. Bit positions per hw-formats.md 2.1 and Linux {@code IDR1_*} ({@code IDR1_SIDSIZE GENMASK(5, 0)},
 * {@code IDR1_SSIDSIZE GENMASK(10, 6)}, {@code IDR1_PRIQS GENMASK(15, 11)}, {@code IDR1_EVTQS
 * GENMASK(20, 16)}, {@code IDR1_CMDQS GENMASK(25, 21)}).
 *
 * <p>Queues: log2 of the maximum entry count, 19 for the command and event queues as in QEMU; the PRI
 * queue size is zero unless PRI is implemented. Tables and queues are not preset (software places them).
 */
public final class Smmuv3Idr1 {

    public static final RegisterField SIDSIZE = RegisterField.bits("SIDSIZE", 5, 0);
    public static final RegisterField SSIDSIZE = RegisterField.bits("SSIDSIZE", 10, 6);
    public static final RegisterField PRIQS = RegisterField.bits("PRIQS", 15, 11);
    public static final RegisterField EVENTQS = RegisterField.bits("EVENTQS", 20, 16);
    public static final RegisterField CMDQS = RegisterField.bits("CMDQS", 25, 21);
    public static final RegisterField ATTR_PERMS_OVR = RegisterField.bit("ATTR_PERMS_OVR", 26);
    public static final RegisterField ATTR_TYPES_OVR = RegisterField.bit("ATTR_TYPES_OVR", 27);
    public static final RegisterField REL = RegisterField.bit("REL", 28);
    public static final RegisterField QUEUES_PRESET = RegisterField.bit("QUEUES_PRESET", 29);
    public static final RegisterField TABLES_PRESET = RegisterField.bit("TABLES_PRESET", 30);
    public static final RegisterField ECMDQ = RegisterField.bit("ECMDQ", 31);

    /** log2 of the maximum number of entries of each implemented queue. */
    public static final int QUEUE_SIZE_LOG2 = 19;

    public static int fromFeatures(UnitFeatures f) {
        long idr1 = 0;
        idr1 = SIDSIZE.insert(idr1, f.streamIdBits());
        idr1 = SSIDSIZE.insert(idr1, f.pasidBits());
        idr1 = PRIQS.insert(idr1, f.pageRequests() ? QUEUE_SIZE_LOG2 : 0);
        idr1 = EVENTQS.insert(idr1, QUEUE_SIZE_LOG2);
        idr1 = CMDQS.insert(idr1, QUEUE_SIZE_LOG2);
        return (int) idr1;
    }

    public static int get(RegisterField field, int idr1) {
        return (int) field.extract(Integer.toUnsignedLong(idr1));
    }

    private Smmuv3Idr1() {
    }
}
