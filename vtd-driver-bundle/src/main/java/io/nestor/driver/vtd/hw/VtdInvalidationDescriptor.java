package io.nestor.driver.vtd.hw;

/**
 * One invalidation-queue descriptor as fetched from memory: two quadwords in a 128-bit queue,
 * four in a 256-bit one (VT-d spec 6.5.2; Nestor {@code hw-formats.md} 1.7). The type is
 * {@code qw0[11:9] << 4 | qw0[3:0]}; every type defined so far fits in bits 3:0, so a set bit in
 * 11:9 is a reserved type. Field layouts per type follow Linux {@code QI_*} macros in
 * {@code drivers/iommu/intel/iommu.h}.
 *
 * @param qw0 bits 63:0
 * @param qw1 bits 127:64
 * @param qw2 bits 191:128 (0 in a 128-bit queue)
 * @param qw3 bits 255:192 (0 in a 128-bit queue)
 * @param wide whether it came from a 256-bit queue
 */
public record VtdInvalidationDescriptor(long qw0, long qw1, long qw2, long qw3, boolean wide) {

    public static final int CONTEXT_CACHE = 0x1;
    public static final int IOTLB = 0x2;
    public static final int DEVICE_TLB = 0x3;
    public static final int INTERRUPT_ENTRY_CACHE = 0x4;
    public static final int WAIT = 0x5;
    public static final int PASID_IOTLB = 0x6;
    public static final int PASID_CACHE = 0x7;
    public static final int PASID_DEVICE_TLB = 0x8;
    public static final int PAGE_GROUP_RESPONSE = 0x9;

    /** The descriptor type: {@code qw0[11:9]} above {@code qw0[3:0]}. */
    public int type() {
        return (int) (((qw0 >>> 9) & 0x7) << 4 | (qw0 & 0xF));
    }

    /** The two-bit granularity field G at qw0 bits 5:4 (types 1, 2, 6 and 7). */
    public int granularity() {
        return (int) (qw0 >>> 4) & 3;
    }

    /** DID at qw0 bits 31:16 (types 1, 2, 6 and 7). */
    public int domainId() {
        return (int) (qw0 >>> 16) & 0xFFFF;
    }

    /** PASID at qw0 bits 51:32 (types 6, 7, 8 and 9). */
    public int pasid() {
        return (int) (qw0 >>> 32) & 0xFFFFF;
    }

    /** Refuses the descriptor with IQEI 4 if any bit of {@code mask} is set in the quadword. */
    static void requireZero(long qword, long mask, String what) throws VtdQueueErrorException {
        if ((qword & mask) != 0) {
            throw new VtdQueueErrorException(VtdQueueErrorException.RESERVED_FIELD,
                    String.format("%s: reserved bits 0x%x set", what, qword & mask));
        }
    }

    /** Refuses a 256-bit form of a descriptor whose upper half is reserved if qw2 or qw3 is set. */
    void requireUpperHalfZero(String what) throws VtdQueueErrorException {
        requireZero(qw2, -1L, what + " qw2");
        requireZero(qw3, -1L, what + " qw3");
    }

    @Override
    public String toString() {
        return wide ? String.format("[%016x %016x %016x %016x]", qw0, qw1, qw2, qw3)
                : String.format("[%016x %016x]", qw0, qw1);
    }
}
