package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.smmuv3.hw.Smmuv3Idr0;
import io.nestor.driver.smmuv3.hw.Smmuv3Idr3;
import io.nestor.driver.smmuv3.hw.Smmuv3Idr5;
import io.nestor.driver.smmuv3.hw.Smmuv3RegisterOffsets;
import io.nestor.driver.smmuv3.hw.format.VmsaGeometry;
import io.nestor.driver.smmuv3.hw.format.VmsaGranule;
import io.nestor.driver.smmuv3.hw.format.VmsaStage2Format;
import java.util.List;

/**
 * The stage-2 geometry of a paging domain, derived only from the unit's identification registers,
 * the domain's input width and whether it tracks dirty state, so that allocation, attach (the STE's
 * S2T0SZ / S2SL0 / S2TG / S2PS) and {@code pagingFormat} always agree without storing it.
 *
 * <p>Rules, after Linux io-pgtable-arm.c {@code arm_64_lpae_alloc_pgtable_s2} and
 * {@code arm_smmu_domain_finalise}:
 * <ul>
 * <li>granule: 4 KiB if IDR5 offers it (Linux prefers the CPU page size), else 16 KiB, else 64 KiB;</li>
 * <li>input (IPA) size: the SMMU's OAS (IAS = OAS for an AArch64-only SMMU) capped at 48 bits;</li>
 * <li>the start level is the lowest that resolves the input; when that is level 0 with at most 16
 *     entries, one level fewer is walked from up to 16 concatenated tables
 *     ({@code ARM_LPAE_S2_MAX_CONCAT_PAGES});</li>
 * <li>S2SL0: 4 KiB 2 - start level, 16 / 64 KiB 3 - start level; S2PS = the OAS encoding;</li>
 * <li>dirty tracking: S2HA and S2HD, which need IDR0.HTTU = access + dirty.</li>
 * </ul>
 */
record Smmuv3Stage2Layout(VmsaGranule granule, int inputBits, int startLevel, int s2t0sz, int s2sl0, int s2tg,
        int s2ps, int outputBits, boolean dirty, boolean xnx) {

    /** Granules in the order the driver prefers them. */
    private static final List<VmsaGranule> PREFERENCE = List.of(VmsaGranule.GRANULE_4K, VmsaGranule.GRANULE_16K,
            VmsaGranule.GRANULE_64K);

    static Smmuv3Stage2Layout of(UnitContext unit, boolean dirty) {
        int idr5 = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.IDR5);
        int idr3 = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.IDR3);
        VmsaGranule granule = preferredGranule(unit, idr5);
        int bits = Smmuv3Idr5.implementedOutputBits(idr5);
        int stride = granule.bitsPerLevel();
        int levels = (bits - granule.shift() + stride - 1) / stride;
        int start = 4 - levels;
        int rootBits = bits - granule.shift() - stride * (levels - 1);
        if (start == 0 && (1 << rootBits) <= VmsaGeometry.MAX_CONCATENATED_TABLES) {
            start = 1;
        }
        int sl0 = granule == VmsaGranule.GRANULE_4K ? 2 - start : 3 - start;
        boolean xnx = Smmuv3Idr3.XNX.isSet(Integer.toUnsignedLong(idr3));
        return new Smmuv3Stage2Layout(granule, bits, start, 64 - bits, sl0, granule.tg(), Smmuv3Idr5.oasEncoding(bits),
                bits, dirty, xnx);
    }

    private static VmsaGranule preferredGranule(UnitContext unit, int idr5) {
        for (VmsaGranule g : PREFERENCE) {
            if (Smmuv3Idr5.offers(g, idr5)) {
                return g;
            }
        }
        throw IommuException.of(Errno.EOPNOTSUPP, "%s: IDR5 0x%x offers no translation granule", unit.name(), idr5);
    }

    VmsaGeometry geometry() {
        return VmsaGeometry.stage2(granule, s2t0sz, s2sl0);
    }

    /** The format the hardware decodes from an STE with these fields. */
    VmsaStage2Format format() {
        return new VmsaStage2Format(geometry(), outputBits, dirty, xnx);
    }

    /** 4 KiB pages of the (possibly concatenated) root table. */
    int rootPages() {
        long bytes = (long) geometry().rootTableCount() << granule.shift();
        return (int) Math.max(1, bytes >>> 12);
    }

    /** Whether the unit can update dirty state in stage-2 descriptors (Linux {@code arm_smmu_dbm_capable}). */
    static boolean dirtyCapable(UnitContext unit) {
        int idr0 = Smmuv3HostMmio.read32(unit, Smmuv3RegisterOffsets.IDR0);
        return Smmuv3Idr0.get(Smmuv3Idr0.HTTU, idr0) == Smmuv3Idr0.HTTU_ACCESS_DIRTY
                && Smmuv3Idr0.get(Smmuv3Idr0.COHACC, idr0) != 0;
    }
}
