package io.nestor.core.iommufd;

import io.nestor.api.driver.IommuDriver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Which SMMUv3 events a vIOMMU reports to its guest, and how ({@code arm_smmu_handle_event} and
 * {@code arm_vmaster_report_event}, {@code arm-smmu-v3.c} / {@code arm-smmu-v3-iommufd.c}): a
 * non-stall event of one of {@link #forwarded the forwarded types}, not a stage-2 fault
 * (EVTQ_1_S2, bit 103 of the record), of a device whose RID is attached to a nested domain of a
 * vIOMMU, becomes {@code struct iommu_vevent_arm_smmuv3}: the 32-byte record with the StreamID
 * (EVTQ_0_SID, bits 63:32) replaced by the device's vSID, its vDEVICE's {@code virt_id}.
 *
 * <p>The driver SPI has no "vmaster" report, so the core applies the kernel driver's rule to the
 * record the hardware half wrote; it touches only the two fields the kernel touches.
 */
final class Smmuv3Vevent {
    /** {@code sizeof(struct iommu_vevent_arm_smmuv3)}: the event record, 4 × le64. */
    static final int SIZE = 32;

    private Smmuv3Vevent() {
    }

    /** C_BAD_STE, F_STREAM_DISABLED, C_BAD_SUBSTREAMID, C_BAD_CD, F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION. */
    static boolean forwarded(int eventId) {
        switch (eventId) {
            case 0x04:
            case 0x06:
            case 0x08:
            case 0x0a:
            case 0x10:
            case 0x11:
            case 0x12:
            case 0x13:
                return true;
            default:
                return false;
        }
    }

    /**
     * The vEVENT data for {@code record} of a device named {@code vsid} by its guest, or null when
     * the kernel would not report it (another unit kind, not a 32-byte event, a type not forwarded,
     * a stage-2 fault).
     */
    static byte[] of(String unitKind, byte[] record, long vsid) {
        if (!IommuDriver.KIND_ARM_SMMUV3.equals(unitKind) || record.length != SIZE) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(record.clone()).order(ByteOrder.LITTLE_ENDIAN);
        if (!forwarded(b.get(0) & 0xff)) {
            return null;
        }
        if ((b.getLong(8) & (1L << 39)) != 0) {
            return null; // event->s2: the host's own stage-2 fault, never the guest's
        }
        b.putInt(4, (int) vsid);
        return b.array();
    }
}
