package io.nestor.driver.vtd.host;

import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.driver.vtd.hw.VtdExtendedCapabilityRegister;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The host driver's {@code IOMMU_GET_HW_INFO} answer, as Linux {@code intel_iommu_hw_info()} builds
 * it: {@code struct iommu_hw_info_vtd} from the CAP / ECAP values the unit reports.
 *
 * <p>Layout (include/uapi/linux/iommufd.h), 24 bytes little-endian:
 * <pre>
 *   0  u32 flags       IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 (bit 0)
 *   4  u32 __reserved  0
 *   8  u64 cap_reg
 *  16  u64 ecap_reg
 * </pre>
 *
 * <p>The registers are the truth: the values are read back from the register file on every call,
 * never recomputed from the unit's features.
 */
public final class VtdHwInfo {

    public static final int STRUCT_SIZE = 24;

    /**
     * Linux sets this flag unconditionally for every VT-d unit: read-only mappings are refused in a
     * nesting-parent domain (erratum 772415 on Sapphire Rapids). Nestor's host side mirrors the
     * kernel, so it reports the same flag and the same restriction applies.
     */
    public static final int FLAG_ERRATA_772415_SPR17 = 1;

    public static HwInfo read(UnitContext unit) {
        VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
        long cap = caps.cap();
        long ecap = caps.ecap();
        int ver = unit.registers().read32(VtdRegisterOffsets.VER);

        ByteBuffer data = ByteBuffer.allocate(STRUCT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, FLAG_ERRATA_772415_SPR17);
        data.putInt(4, 0);
        data.putLong(8, cap);
        data.putLong(16, ecap);

        Map<String, Long> registers = new LinkedHashMap<>();
        registers.put("cap_reg", cap);
        registers.put("ecap_reg", ecap);
        registers.put("ver_reg", Integer.toUnsignedLong(ver));

        return new HwInfo(HwInfo.TYPE_INTEL_VTD, data.array(), capabilities(caps), maxPasidLog2(caps), registers);
    }

    /**
     * {@code IOMMU_HW_CAP_DIRTY_TRACKING} as Linux {@code intel_iommu_capable()} reports it:
     * {@code ssads_supported()} (SMTS, SSADS and SMPWCS; the last because the CPU must see the dirty
     * bits the unit writes).
     */
    static long capabilities(VtdUnitCapabilities caps) {
        return caps.ssadsSupported() ? HwInfo.CAP_DIRTY_TRACKING : 0;
    }

    /**
     * The PASID width: Linux sets {@code max_pasids = 2 << PSS} when {@code pasid_supported()}
     * (SMTS and PASID), so log2 is PSS + 1; 0 without PASID support.
     */
    static int maxPasidLog2(VtdUnitCapabilities caps) {
        return caps.pasidSupported() ? (int) VtdExtendedCapabilityRegister.PSS.extract(caps.ecap()) + 1 : 0;
    }

    private VtdHwInfo() {
    }
}
