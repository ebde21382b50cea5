package io.nestor.api.translation;

/** Which part of the translation faulted. */
public enum FaultStage {
    /** The device / PASID configuration (context or PASID entry, STE, CD) was missing or invalid. */
    CONFIG,
    /** Stage 1 (VT-d first stage, SMMU stage 1): the guest-owned tables. */
    STAGE1,
    /** Stage 2 (VT-d second stage, SMMU stage 2): the host-owned tables. */
    STAGE2
}
