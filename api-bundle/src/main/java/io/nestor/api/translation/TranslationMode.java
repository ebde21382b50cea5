package io.nestor.api.translation;

/**
 * What a decoded configuration does with a request: VT-d's PGTT values and SMMUv3's STE.Config,
 * reduced to their common meaning.
 */
public enum TranslationMode {
    /** Every request faults (SMMU Config=abort, a blocked VT-d entry). */
    ABORT,
    /** Input address is output address (VT-d pass-through, SMMU Config=bypass). */
    BYPASS,
    /** Stage 1 only; its output is a host physical address. */
    STAGE1,
    /** Stage 2 only. */
    STAGE2,
    /** Stage 1 over stage 2: every stage-1 table address and output is translated by stage 2. */
    NESTED
}
