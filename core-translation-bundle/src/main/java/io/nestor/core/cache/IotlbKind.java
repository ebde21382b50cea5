package io.nestor.core.cache;

import io.nestor.api.translation.TranslationMode;

/**
 * What produced an IOTLB entry, which decides which invalidations remove it (hw-formats §3.4):
 * a PASID-based / NH_* invalidation removes stage-1 and nested entries but not stage-2-only or
 * pass-through ones; a domain-wide invalidation removes all of them.
 *
 * <p>The kind is part of the key, so a configuration that changes mode under the same tags never
 * hits an entry of the other mode.
 */
public enum IotlbKind {
    /** Pass-through (VT-d PGTT=100, SMMU bypass with tags): input address is output address. */
    BYPASS(0),
    /** Stage 1 only: IOVA to host physical. */
    STAGE1(1),
    /** Stage 2 only: IPA (the IOVA) to host physical. */
    STAGE2(2),
    /** Stage 1 over stage 2, combined: IOVA straight to host physical. */
    NESTED(3);

    private final int code;

    IotlbKind(int code) {
        this.code = code;
    }

    /** The two-bit code in a key. */
    int code() {
        return code;
    }

    /** Whether the entry was produced by a stage-1 walk (alone or nested). */
    public boolean stage1Derived() {
        return this == STAGE1 || this == NESTED;
    }

    static IotlbKind ofCode(int code) {
        switch (code) {
            case 0: return BYPASS;
            case 1: return STAGE1;
            case 2: return STAGE2;
            default: return NESTED;
        }
    }

    /** The kind of entries a configuration of {@code mode} produces; ABORT produces none. */
    public static IotlbKind of(TranslationMode mode) {
        switch (mode) {
            case BYPASS: return BYPASS;
            case STAGE1: return STAGE1;
            case STAGE2: return STAGE2;
            case NESTED: return NESTED;
            default: throw new IllegalArgumentException("mode " + mode + " caches no translations");
        }
    }
}
