package io.nestor.core.walk;

import io.nestor.api.translation.FaultStage;

/**
 * Sees every descriptor a walk reads, for the debug translation the shell shows. Set on a
 * {@link WalkResult} only for such walks; the translation path never sets it (the walker checks for
 * {@code null} once per descriptor).
 */
@FunctionalInterface
public interface WalkTrace {

    /**
     * The walk read {@code descriptor} from {@code hostAddress}.
     *
     * @param stage the stage the descriptor belongs to
     * @param stage1TableFetch a stage-2 descriptor read while translating a stage-1 table address
     * @param level its level, counted from the leaf
     * @param input the address being translated in that stage (IOVA, or IPA)
     * @param descriptorAddress the descriptor's address in its own stage's table space (an IPA for
     *     a nested stage 1)
     */
    void descriptor(FaultStage stage, boolean stage1TableFetch, int level, long input, long descriptorAddress,
            long hostAddress, long descriptor);
}
