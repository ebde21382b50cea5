package io.nestor.api.translation;

import java.util.Objects;

/**
 * A failed translation, as the hardware determined it, before a driver encodes it as a fault record
 * or an event.
 *
 * @param stage the stage (or configuration) that faulted
 * @param reason the vendor-neutral reason
 * @param level the walk level of the faulting descriptor, counted from the leaf (see
 *     {@link io.nestor.api.pagetable.PageTableFormat}); -1 when no walk was involved
 * @param access the request's {@link Access} bits
 * @param iova the address the device issued
 * @param faultAddress the input address of the stage that faulted: the IOVA for stage 1, the IPA
 *     (guest physical address) for stage 2
 * @param onStage1TableFetch for a stage-2 fault, whether it happened while translating a stage-1
 *     table address (SMMU {@code CLASS=TT}, VT-d's "first-stage table walk" attribution) rather than
 *     the final output address
 * @param vendorReason the driver's own code for {@link FaultReason#CONFIGURATION} faults (for
 *     example a VT-d SCT.x fault reason or an SMMUv3 C_BAD_STE event number); 0 otherwise
 */
public record Fault(FaultStage stage, FaultReason reason, int level, int access, long iova,
        long faultAddress, boolean onStage1TableFetch, int vendorReason) {

    public Fault {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(reason, "reason");
    }

    /** A configuration fault with the vendor's code. */
    public static Fault config(int vendorReason, int access, long iova) {
        return new Fault(FaultStage.CONFIG, FaultReason.CONFIGURATION, -1, access, iova, iova, false,
                vendorReason);
    }

    @Override
    public String toString() {
        return String.format("%s %s fault at level %d, access %s, iova 0x%x, address 0x%x%s%s", stage,
                reason, level, Access.toString(access), iova, faultAddress,
                onStage1TableFetch ? " (stage-1 table fetch)" : "",
                vendorReason != 0 ? String.format(", vendor reason 0x%x", vendorReason) : "");
    }
}
