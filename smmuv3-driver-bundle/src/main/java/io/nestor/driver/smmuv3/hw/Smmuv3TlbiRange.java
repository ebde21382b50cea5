package io.nestor.driver.smmuv3.hw;

import io.nestor.driver.smmuv3.hw.format.VmsaGranule;

/**
 * The input range of an address-based TLB invalidation (CMD_TLBI_NH_VA / NH_VAA / S2_IPA): the
 * architecture's range invalidation (SMMUv3.1 RIL, hw-formats.md §2.5; Linux
 * {@code arm_smmu_tlb_inv_range_cmd}; QEMU {@code smmuv3_range_inval}).
 *
 * <ul>
 * <li>TG = 0: a single address; the command removes every entry holding it, whatever its size.
 *     The range is the 4 KiB page of the address (the smallest granule), which overlaps exactly the
 *     entries that hold the address. NUM and SCALE must be 0.</li>
 * <li>TG = 1 / 2 / 3 (4 KiB / 16 KiB / 64 KiB granule; needs IDR3.RIL and the granule in IDR5):
 *     (NUM + 1) &times; 2^SCALE granules starting at Address aligned down to the granule.</li>
 * </ul>
 * TTL (the level of the leaf, 0 = unknown) is a hint that lets hardware skip other levels; it does
 * not change which addresses are covered, so it is checked and otherwise not used
 * (over-invalidation is legal). A range that runs past 2^64 is illegal.
 *
 * @param address the first input address covered
 * @param size the bytes covered
 */
record Smmuv3TlbiRange(long address, long size) {

    static final long SINGLE_ADDRESS_SIZE = 1L << 12;

    static Smmuv3TlbiRange of(Smmuv3Command cmd, long address, int idr3, int idr5) throws Smmuv3CommandError {
        int tg = (int) cmd.field1(Smmuv3Command.TLBI_TG_1);
        int num = (int) cmd.field0(Smmuv3Command.TLBI_NUM);
        int scale = (int) cmd.field0(Smmuv3Command.TLBI_SCALE);
        if (tg == 0) {
            if (num != 0 || scale != 0) {
                throw Smmuv3CommandError.illegal("NUM %d / SCALE %d without a TG", num, scale);
            }
            return new Smmuv3TlbiRange(address & -SINGLE_ADDRESS_SIZE, SINGLE_ADDRESS_SIZE);
        }
        if (!Smmuv3Idr3.RIL.isSet(Integer.toUnsignedLong(idr3))) {
            throw Smmuv3CommandError.illegal("range invalidation (TG %d) without IDR3.RIL", tg);
        }
        // The TLBI TG order is 1 = 4 KiB, 2 = 16 KiB, 3 = 64 KiB (not the TG0 / S2TG order).
        VmsaGranule granule = tg == 1 ? VmsaGranule.GRANULE_4K : tg == 2 ? VmsaGranule.GRANULE_16K
                : VmsaGranule.GRANULE_64K;
        if (!Smmuv3Idr5.offers(granule, idr5)) {
            throw Smmuv3CommandError.illegal("TG %d names a granule IDR5 does not offer", tg);
        }
        int granuleShift = granule.shift();
        long start = address & -(1L << granuleShift);
        long size = ((long) num + 1) << (scale + granuleShift);
        if (Long.compareUnsigned(start + size - 1, start) < 0) {
            throw Smmuv3CommandError.illegal("range 0x%x + (%d + 1) * 2^%d granules of 2^%d runs past 2^64",
                    start, num, scale, granuleShift);
        }
        return new Smmuv3TlbiRange(start, size);
    }
}
