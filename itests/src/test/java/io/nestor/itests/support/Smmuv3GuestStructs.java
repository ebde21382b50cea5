package io.nestor.itests.support;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What a guest SMMUv3 driver writes and what its VMM forwards, as bytes (SMMUv3 spec IHI 0070,
 * §5.2 STE, §5.4 CD, §4.4 commands; include/uapi/linux/iommufd.h for the wrappers):
 * <ul>
 *   <li>the guest STE's first two double words, {@code struct iommu_hwpt_arm_smmuv3 { le64 ste[2]; }}:
 *       V (bit 0), Config (3:1, 0b101 = stage 1 translate, stage 2 bypass as the guest sees it),
 *       S1Fmt (5:4, 0 = linear), S1ContextPtr (51:6), S1CDMax (63:59);</li>
 *   <li>a 64-byte Context Descriptor: T0SZ (5:0), TG0 (7:6, 0 = 4 KiB), EPD1 (30), V (31), IPS (34:32),
 *       AA64 (41), R (45), A (46), ASID (63:48); TTB0 in word 1 (51:4);</li>
 *   <li>one raw command, {@code struct iommu_viommu_arm_smmuv3_invalidate { le64 cmd[2]; }}.</li>
 * </ul>
 */
public final class Smmuv3GuestStructs {
    /** enum iommu_hwpt_data_type: IOMMU_HWPT_DATA_ARM_SMMUV3. */
    public static final int HWPT_DATA_ARM_SMMUV3 = 2;
    /** enum iommu_viommu_type: IOMMU_VIOMMU_TYPE_ARM_SMMUV3. */
    public static final int VIOMMU_TYPE_ARM_SMMUV3 = 1;
    /** enum iommu_hwpt_invalidate_data_type: IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3. */
    public static final int INVALIDATE_DATA_ARM_SMMUV3 = 1;
    public static final int COMMAND_LEN = 16;
    /** enum iommu_veventq_type: IOMMU_VEVENTQ_TYPE_ARM_SMMUV3. */
    public static final int VEVENTQ_TYPE_ARM_SMMUV3 = 1;
    /** CMD_TLBI_NH_VA, CMD_CFGI_CD. */
    public static final int CMD_TLBI_NH_VA = 0x12;
    public static final int CMD_CFGI_CD = 0x05;

    private Smmuv3GuestStructs() {
    }

    /** STE word 0 and 1 for stage-1 translation through a linear CD table at {@code cdTableGpa}. */
    public static byte[] steS1Translate(long cdTableGpa, int s1CdMax) {
        if ((cdTableGpa & 0x3f) != 0) {
            throw new IllegalArgumentException("S1ContextPtr must be 64-byte aligned");
        }
        long word0 = 1L | (0b101L << 1) | (0L << 4) | (cdTableGpa & 0x000f_ffff_ffff_ffc0L)
                | ((long) s1CdMax << 59);
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(word0).putLong(0).array();
    }

    /**
     * A valid AArch64 CD for a 48-bit input (T0SZ 16), 4 KiB granule, TTB1 walks disabled (EPD1),
     * 48-bit IPS (0b101), faults recorded (R), ASID {@code asid}, table at {@code ttb0Gpa}.
     */
    public static byte[] contextDescriptor(int asid, long ttb0Gpa) {
        long word0 = 16L | (0L << 6) | (1L << 30) | (1L << 31) | (0b101L << 32) | (1L << 41) | (1L << 45)
                | (1L << 46) | ((long) asid << 48);
        long word1 = ttb0Gpa & 0x000f_ffff_ffff_fff0L;
        return ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(word0).putLong(word1).array();
    }

    /** CMD_TLBI_NH_VA: ASID (63:48); word 1 the address (63:12) with Leaf (0). */
    public static byte[] tlbiNhVa(int asid, long va, boolean leaf) {
        long word0 = CMD_TLBI_NH_VA | ((long) asid << 48);
        long word1 = (va & ~0xfffL) | (leaf ? 1 : 0);
        return ByteBuffer.allocate(COMMAND_LEN).order(ByteOrder.LITTLE_ENDIAN).putLong(word0).putLong(word1).array();
    }
}
