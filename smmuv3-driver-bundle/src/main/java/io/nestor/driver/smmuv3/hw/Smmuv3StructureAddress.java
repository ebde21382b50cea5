package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.StageConfig;

/**
 * Where the SMMU finds a CD-table structure (an L1CD descriptor or a CD) in physical memory: at its
 * address for a stage-1 STE, and at the stage-2 translation of it for a NESTED STE, whose
 * S1ContextPtr and L1CD.L2Ptr are IPAs (hw-formats.md §3.1: "on SMMU, also STE.S1ContextPtr").
 *
 * <p>A stage-2 fault on such a fetch is reported as that stage-2 fault with S2 = 1, CLASS = CD and
 * the structure's IPA (hw-formats.md §3.3, "Stage-2 fault translating the CD address"). The fault
 * carries {@link #CD_FETCH_MARK} as its vendor reason so that the event encoder can tell it from a
 * fault of the request's own stage-2 walk: {@link Fault} has no field for the SMMU's CLASS.
 */
@FunctionalInterface
interface Smmuv3StructureAddress {

    /** Vendor reason of a stage-2 fault raised while fetching a CD-table structure (CLASS = CD). */
    int CD_FETCH_MARK = Smmuv3EventType.F_CD_FETCH;

    /** For a stage-1 STE: structures are at their (physical) addresses. */
    Smmuv3StructureAddress PHYSICAL = address -> address;

    long physical(long address) throws FaultException;

    /** For a NESTED STE: structures are at the stage-2 translation of their IPA. */
    static Smmuv3StructureAddress throughStage2(UnitContext unit, StageConfig stage2, int vmid) {
        return ipa -> {
            try {
                return unit.translateStage2(stage2, vmid, ipa, Access.READ);
            } catch (FaultException e) {
                Fault f = e.fault();
                // Configuration decode does not know the transaction's address or access: 0, as
                // for every configuration fault.
                throw new FaultException(new Fault(FaultStage.STAGE2, f.reason(), f.level(), 0, 0, ipa, false,
                        CD_FETCH_MARK));
            }
        };
    }
}
