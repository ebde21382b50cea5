package io.nestor.driver.smmuv3.host;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.smmuv3.hw.Smmuv3Ste;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct iommu_hwpt_arm_smmuv3 { __le64 ste[2]; }} (include/uapi/linux/iommufd.h), the guest
 * STE a nested domain is made from, read and validated as Linux {@code arm_vsmmu_alloc_domain_nested}
 * and {@code arm_smmu_validate_vste} do (arm-smmu-v3-iommufd.c; kernel-uapi.md §1.3):
 * <ol>
 * <li>{@code data_type} other than {@code IOMMU_HWPT_DATA_ARM_SMMUV3} → EINVAL; a length other than
 *     16 bytes → EINVAL ({@code __iommu_copy_struct_from_user}: shorter than the first version or
 *     longer than the kernel's struct);</li>
 * <li>V = 0: both words become 0 (an aborting STE, so the guest can get C_BAD_STE);</li>
 * <li>a bit outside {@code STRTAB_STE_0_NESTING_ALLOWED} / {@code _1_NESTING_ALLOWED} (V, Config,
 *     S1Fmt, S1ContextPtr, S1CDMax; S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS) → EIO;</li>
 * <li>Config other than abort, bypass or stage-1 translate → EIO;</li>
 * <li>EATS other than 0 (abort) or 1 (full ATS) → EIO; EATS is then taken out of word 1 (the host
 *     sets it at attach) and remembered as "enable ATS" for a stage-1 translate STE.</li>
 * </ol>
 * S1ContextPtr is a guest IPA and is kept as given: the SMMU reads the CD table through stage 2.
 *
 * @param ste0 word 0 as the nested STE will carry it
 * @param ste1 word 1, EATS cleared
 * @param enableAts whether the guest enabled ATS
 */
record Smmuv3VirtualSte(long ste0, long ste1, boolean enableAts) {

    static final int STRUCT_SIZE = 16;

    static Smmuv3VirtualSte parse(int dataType, byte[] data) {
        if (dataType != Smmuv3HwptFlags.DATA_ARM_SMMUV3) {
            throw IommuException.of(Errno.EINVAL, "data_type %d is not IOMMU_HWPT_DATA_ARM_SMMUV3 (%d)",
                    dataType, Smmuv3HwptFlags.DATA_ARM_SMMUV3);
        }
        if (data == null || data.length != STRUCT_SIZE) {
            throw IommuException.of(Errno.EINVAL, "data_len %d is not the size of struct iommu_hwpt_arm_smmuv3 (%d)",
                    data == null ? 0 : data.length, STRUCT_SIZE);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        return validate(b.getLong(0), b.getLong(8));
    }

    static Smmuv3VirtualSte validate(long ste0, long ste1) {
        if (!Smmuv3Ste.V.isSet(ste0)) {
            return new Smmuv3VirtualSte(0, 0, false);
        }
        long bad0 = ste0 & ~Smmuv3SteEncoder.NESTING_ALLOWED_0;
        long bad1 = ste1 & ~Smmuv3SteEncoder.NESTING_ALLOWED_1;
        if (bad0 != 0 || bad1 != 0) {
            throw IommuException.of(Errno.EIO, "guest STE sets bits outside the nesting-allowed fields: "
                    + "ste[0] 0x%x, ste[1] 0x%x", bad0, bad1);
        }
        int cfg = (int) Smmuv3Ste.CONFIG.extract(ste0);
        if (cfg != Smmuv3Ste.CONFIG_ABORT && cfg != Smmuv3Ste.CONFIG_BYPASS && cfg != Smmuv3Ste.CONFIG_S1_TRANS) {
            throw IommuException.of(Errno.EIO, "guest STE Config 0b%s is not abort, bypass or stage-1 translate",
                    Integer.toBinaryString(cfg));
        }
        int eats = (int) Smmuv3SteEncoder.EATS.extract(ste1);
        if (eats != Smmuv3SteEncoder.EATS_ABT && eats != Smmuv3SteEncoder.EATS_TRANS) {
            throw IommuException.of(Errno.EIO, "guest STE EATS %d is neither 0 (abort) nor 1 (full ATS)", eats);
        }
        boolean ats = cfg == Smmuv3Ste.CONFIG_S1_TRANS && eats == Smmuv3SteEncoder.EATS_TRANS;
        return new Smmuv3VirtualSte(ste0, ste1 & ~Smmuv3SteEncoder.EATS.mask(), ats);
    }

    /** The effective Config: abort for an invalid guest STE. */
    int config() {
        return Smmuv3Ste.V.isSet(ste0) ? (int) Smmuv3Ste.CONFIG.extract(ste0) : Smmuv3Ste.CONFIG_ABORT;
    }
}
