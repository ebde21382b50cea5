package io.nestor.core.translate;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.FaultStage;

/**
 * One descriptor read of a debug translation: where it was read and what it said.
 *
 * @param stage the stage it belongs to
 * @param stage1TableFetch a stage-2 descriptor read to translate a stage-1 table address
 * @param level its level, counted from the leaf
 * @param input the address translated in that stage
 * @param descriptorAddress the descriptor's address in its stage's table space
 * @param hostAddress where it was read in host memory
 * @param descriptor its value
 * @param kind {@link PageTableFormat#KIND_INVALID}, {@code KIND_TABLE} or {@code KIND_LEAF}
 */
public record WalkStep(FaultStage stage, boolean stage1TableFetch, int level, long input, long descriptorAddress,
        long hostAddress, long descriptor, int kind) {

    @Override
    public String toString() {
        String k = kind == PageTableFormat.KIND_TABLE ? "table" : kind == PageTableFormat.KIND_LEAF ? "leaf"
                : "invalid";
        return String.format("%s%s L%d  in 0x%x  desc@0x%x%s = 0x%016x  %s", stage == FaultStage.STAGE1 ? "S1" : "S2",
                stage1TableFetch ? " (S1 table fetch)" : "", level, input, descriptorAddress,
                hostAddress != descriptorAddress ? String.format(" (hpa 0x%x)", hostAddress) : "", descriptor, k);
    }
}
