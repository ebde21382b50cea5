package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;

import io.nestor.api.driver.UnitFeatures;
import io.nestor.driver.smmuv3.hw.format.VmsaGranule;

/**
 * SMMU_IDR5 (0x14, 32 bits, read-only): output address size, translation granules and virtual
 * address extension. Bit positions per hw-formats.md 2.1 and Linux {@code IDR5_*}
 * ({@code IDR5_OAS GENMASK(2, 0)}, {@code IDR5_GRAN4K BIT(4)}, {@code IDR5_GRAN16K BIT(5)},
 * {@code IDR5_GRAN64K BIT(6)}, {@code IDR5_VAX GENMASK(11, 10)}, {@code IDR5_STALL_MAX GENMASK(31, 16)}).
 */
public final class Smmuv3Idr5 {

    public static final RegisterField OAS = RegisterField.bits("OAS", 2, 0);
    public static final RegisterField GRAN4K = RegisterField.bit("GRAN4K", 4);
    public static final RegisterField GRAN16K = RegisterField.bit("GRAN16K", 5);
    public static final RegisterField GRAN64K = RegisterField.bit("GRAN64K", 6);
    public static final RegisterField VAX = RegisterField.bits("VAX", 11, 10);
    public static final RegisterField STALL_MAX = RegisterField.bits("STALL_MAX", 31, 16);

    /** VAX value for 52-bit virtual addresses. */
    public static final int VAX_52_BIT = 1;

    /**
     * Outstanding stalled transactions the SMMU can hold when it implements stalling; a property of
     * this implementation (the architecture leaves it implementation defined, Linux does not read it).
     */
    public static final int STALL_MAX_TRANSACTIONS = 256;

    /** The widest output address this SMMU implements: it has no 52-bit addressing (FEAT_LPA). */
    public static final int MAX_IMPLEMENTED_OUTPUT_BITS = 48;

    /** The OAS encodings 0..6, by width in bits. */
    private static final int[] OAS_BITS = {32, 36, 40, 42, 44, 48, 52};

    /**
     * Composes IDR5.
     *
     * @throws IllegalArgumentException when the output width has no OAS encoding, or no 4 KiB,
     *     16 KiB or 64 KiB granule is among the page sizes
     */
    public static int fromFeatures(UnitFeatures f) {
        boolean g4 = f.supportsPageSize(UnitFeatures.SIZE_4K);
        boolean g16 = f.supportsPageSize(UnitFeatures.SIZE_16K);
        boolean g64 = f.supportsPageSize(UnitFeatures.SIZE_64K);
        if (!g4 && !g16 && !g64) {
            throw new IllegalArgumentException("SMMUv3 needs a 4K, 16K or 64K translation granule: pageSizes 0x"
                    + Long.toHexString(f.pageSizes()) + " has none");
        }
        long idr5 = 0;
        idr5 = OAS.insert(idr5, oasEncoding(f.outputAddressBits()));
        idr5 = GRAN4K.insert(idr5, g4);
        idr5 = GRAN16K.insert(idr5, g16);
        idr5 = GRAN64K.insert(idr5, g64);
        idr5 = VAX.insert(idr5, f.fiveLevelStage1() ? VAX_52_BIT : 0);
        idr5 = STALL_MAX.insert(idr5, f.stall() ? STALL_MAX_TRANSACTIONS : 0);
        return (int) idr5;
    }

    /** The OAS field for an output width: 32/36/40/42/44/48/52 bits give 0..6. */
    public static int oasEncoding(int outputAddressBits) {
        for (int i = 0; i < OAS_BITS.length; i++) {
            if (OAS_BITS[i] == outputAddressBits) {
                return i;
            }
        }
        throw new IllegalArgumentException("SMMUv3 IDR5.OAS encodes 32, 36, 40, 42, 44, 48 or 52 bits: "
                + "outputAddressBits " + outputAddressBits + " has no encoding");
    }

    /** The output width an OAS field value stands for; -1 for the reserved encodings. */
    public static int outputAddressBits(int oas) {
        return oas >= 0 && oas < OAS_BITS.length ? OAS_BITS[oas] : -1;
    }

    /**
     * The output width tables may use: IDR5.OAS capped at {@link #MAX_IMPLEMENTED_OUTPUT_BITS}, a
     * reserved OAS encoding reading as that cap.
     */
    public static int implementedOutputBits(int idr5) {
        int oas = outputAddressBits(get(OAS, idr5));
        return oas < 0 ? MAX_IMPLEMENTED_OUTPUT_BITS : Math.min(oas, MAX_IMPLEMENTED_OUTPUT_BITS);
    }

    /** Whether IDR5 offers {@code granule} (GRAN4K / GRAN16K / GRAN64K). */
    public static boolean offers(VmsaGranule granule, int idr5) {
        switch (granule) {
            case GRANULE_4K:
                return get(GRAN4K, idr5) != 0;
            case GRANULE_16K:
                return get(GRAN16K, idr5) != 0;
            default:
                return get(GRAN64K, idr5) != 0;
        }
    }

    public static int get(RegisterField field, int idr5) {
        return (int) field.extract(Integer.toUnsignedLong(idr5));
    }

    private Smmuv3Idr5() {
    }
}
