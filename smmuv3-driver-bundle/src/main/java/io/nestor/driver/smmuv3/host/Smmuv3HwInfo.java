package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.driver.smmuv3.hw.Smmuv3Idr0;
import io.nestor.driver.smmuv3.hw.Smmuv3Idr1;
import io.nestor.driver.smmuv3.hw.Smmuv3RegisterOffsets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The host driver's {@code IOMMU_GET_HW_INFO} answer, as Linux {@code arm_smmu_hw_info()} builds it:
 * the raw identification registers read from the SMMU.
 *
 * <p>Layout of {@code struct iommu_hw_info_arm_smmuv3} (include/uapi/linux/iommufd.h), 40 bytes
 * little-endian:
 * <pre>
 *   0  u32 flags       0 (no implementation-specific extension)
 *   4  u32 __reserved  0
 *   8  u32 idr[6]      SMMU_IDR0 .. SMMU_IDR5
 *  32  u32 iidr
 *  36  u32 aidr
 * </pre>
 *
 * <p>The registers are the truth: values are read back from the register file on every call, never
 * recomputed from the unit's features.
 */
public final class Smmuv3HwInfo {

    public static final int STRUCT_SIZE = 40;

    public static HwInfo read(UnitContext unit) {
        RegisterFile regs = unit.registers();
        int[] idr = new int[6];
        for (int n = 0; n < idr.length; n++) {
            idr[n] = regs.read32(Smmuv3RegisterOffsets.idr(n));
        }
        int iidr = regs.read32(Smmuv3RegisterOffsets.IIDR);
        int aidr = regs.read32(Smmuv3RegisterOffsets.AIDR);

        ByteBuffer data = ByteBuffer.allocate(STRUCT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, 0);
        data.putInt(4, 0);
        Map<String, Long> registers = new LinkedHashMap<>();
        for (int n = 0; n < idr.length; n++) {
            data.putInt(8 + 4 * n, idr[n]);
            registers.put("idr" + n, Integer.toUnsignedLong(idr[n]));
        }
        data.putInt(32, iidr);
        data.putInt(36, aidr);
        registers.put("iidr", Integer.toUnsignedLong(iidr));
        registers.put("aidr", Integer.toUnsignedLong(aidr));

        return new HwInfo(HwInfo.TYPE_ARM_SMMUV3, data.array(), capabilities(idr[0]), maxPasidLog2(idr[1]),
                registers);
    }

    /**
     * {@code IOMMU_HW_CAP_DIRTY_TRACKING} as Linux {@code arm_smmu_capable()} reports it through
     * {@code arm_smmu_dbm_capable()}: hardware dirty-state update (IDR0.HTTU = access + dirty,
     * {@code ARM_SMMU_FEAT_HD}) on a coherent SMMU (IDR0.COHACC, {@code ARM_SMMU_FEAT_COHERENCY}).
     */
    static long capabilities(int idr0) {
        boolean hd = Smmuv3Idr0.get(Smmuv3Idr0.HTTU, idr0) == Smmuv3Idr0.HTTU_ACCESS_DIRTY;
        boolean coherent = Smmuv3Idr0.get(Smmuv3Idr0.COHACC, idr0) != 0;
        return hd && coherent ? HwInfo.CAP_DIRTY_TRACKING : 0;
    }

    /** The SubstreamID width, IDR1.SSIDSIZE; 0 when substreams are not supported. */
    static int maxPasidLog2(int idr1) {
        return Smmuv3Idr1.get(Smmuv3Idr1.SSIDSIZE, idr1);
    }

    private Smmuv3HwInfo() {
    }
}
