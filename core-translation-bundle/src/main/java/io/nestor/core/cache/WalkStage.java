package io.nestor.core.cache;

/** Which stage's tables a walk-cache entry points into. */
public enum WalkStage {
    /** Stage-1 (guest-owned) tables; in a nested walk the cached address is already stage-2 translated. */
    STAGE1,
    /** Stage-2 (host-owned) tables, indexed by IPA. */
    STAGE2
}
