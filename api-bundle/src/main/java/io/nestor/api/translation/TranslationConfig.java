package io.nestor.api.translation;

import java.util.Objects;

/**
 * A device's (or one of its PASIDs') translation configuration, decoded by a driver from the
 * structures in memory (context and PASID entries, STE and CD) into vendor-neutral form.
 *
 * <p>It is cached by the core per (device, PASID) until a configuration invalidation. Because it
 * holds format instances, which are driver classes, it is dropped when its driver leaves.
 *
 * @param mode what to do with a request
 * @param stage1 stage-1 configuration, or {@code null} unless the mode is STAGE1 or NESTED
 * @param stage2 stage-2 configuration, or {@code null} unless the mode is STAGE2 or NESTED
 * @param domainTag the IOTLB's domain tag: VT-d DID, SMMU VMID (or 0 without stage 2)
 * @param addressSpaceTag the IOTLB's address-space tag: the PASID for VT-d first stage, the ASID
 *     for SMMU stage 1, or -1 where entries are not tagged by one
 */
public record TranslationConfig(TranslationMode mode, StageConfig stage1, StageConfig stage2,
        int domainTag, int addressSpaceTag) {

    public TranslationConfig {
        Objects.requireNonNull(mode, "mode");
        boolean needs1 = mode == TranslationMode.STAGE1 || mode == TranslationMode.NESTED;
        boolean needs2 = mode == TranslationMode.STAGE2 || mode == TranslationMode.NESTED;
        if (needs1 != (stage1 != null) || needs2 != (stage2 != null)) {
            throw new IllegalArgumentException("mode " + mode + " with stage1=" + stage1 + ", stage2=" + stage2);
        }
    }

    public static TranslationConfig abort() {
        return new TranslationConfig(TranslationMode.ABORT, null, null, 0, -1);
    }

    public static TranslationConfig bypass(int domainTag) {
        return new TranslationConfig(TranslationMode.BYPASS, null, null, domainTag, -1);
    }
}
