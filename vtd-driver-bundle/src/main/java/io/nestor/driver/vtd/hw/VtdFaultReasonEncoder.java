package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;

/**
 * Chooses the scalable-mode fault reason (FR) for a vendor-neutral {@link Fault}
 * (codes in {@link VtdScalableFaultReason}; attribution rules of Nestor {@code hw-formats.md} 1.8
 * and 3.3; names as in Linux {@code dma_remap_sm_fault_reasons}).
 *
 * <p>Configuration faults carry their code already. For walk faults the neutral reason, stage and
 * level say most of it; where they do not, the hardware half looks at what the hardware would have
 * seen, reading the device's configuration again ({@link VtdConfigDecoder}):
 * <ul>
 *   <li>an external abort at the root level of a stage is a bad table pointer (0x73 / 0x7B), below
 *       it an entry access error (0x70 / 0x78);</li>
 *   <li>a first-stage entry address beyond the output width is a reserved bit (0x72) when the first
 *       stage outputs host addresses, and SFL.5 (0x74) when it outputs GPAs (nested);</li>
 *   <li>a second-stage permission fault is SGN.7 (0x86, no read) when stage 2 denies reading the
 *       address, else SGN.6 (0x85, no write); while translating a first-stage entry's address it is
 *       SFL.8 (0x77) when reading was allowed (the denied access was the A/D write), else SFL.6
 *       (0x75) for the first-stage root table and SFL.7 (0x76) below it.</li>
 * </ul>
 * Second-stage entries have no present bit: R = W = 0 is SSL.2 (0x79).
 *
 * <p>The neutral fault does not carry the descriptor, so for a not-valid entry (present with
 * reserved bits, 0x72 / 0x7A, or not present, 0x71 / 0x79) and for a first-stage permission fault
 * (U/S 0x81, R/W 0x85, XD 0x82) the entry is re-read ({@link VtdFaultWalkProbe}). When the
 * configuration or the tables no longer lead there, the plain reading is chosen: not present; the
 * permission by the request (write 0x85, execute 0x82, a read — which only U/S can deny — 0x81);
 * non-nested; not the root. A configuration fault without a VT-d code (an ABORT configuration)
 * reads SPT.4 (0x5B).
 */
public final class VtdFaultReasonEncoder {

    private static final long PAGE = 4096;
    /** First-stage P (bit 0). */
    private static final long FIRST_STAGE_PRESENT = 1;
    /** Second-stage R and W (bits 1:0): an entry with neither is not present. */
    private static final long SECOND_STAGE_READ_WRITE = 3;

    /** The FR code for {@code fault}, raised by a request of {@code device} with {@code pasid}. */
    public static int encode(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        switch (fault.stage()) {
            case STAGE1:
                return firstStage(unit, device, pasid, fault);
            case STAGE2:
                return fault.onStage1TableFetch() ? firstStageTableFetch(unit, device, pasid, fault)
                        : secondStage(unit, device, pasid, fault);
            case CONFIG:
            default:
                return configuration(fault);
        }
    }

    private static int configuration(Fault fault) {
        return fault.vendorReason() != 0 ? fault.vendorReason() : VtdScalableFaultReason.SPT_INVALID;
    }

    private static int firstStage(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        switch (fault.reason()) {
            case TRANSLATION: {
                VtdFaultWalkProbe.Entry e = probe(unit, device, pasid, fault, true);
                return e != null && (e.descriptor() & FIRST_STAGE_PRESENT) != 0
                        ? VtdScalableFaultReason.SFL_RESERVED : VtdScalableFaultReason.SFL_NOT_PRESENT;
            }
            case ADDRESS_SIZE: {
                if (fault.level() < 0) {
                    return VtdScalableFaultReason.SGN_NOT_CANONICAL;
                }
                TranslationConfig config = config(unit, device, pasid);
                return config != null && config.mode() == TranslationMode.NESTED
                        ? VtdScalableFaultReason.SFL_NESTED_ADDRESS : VtdScalableFaultReason.SFL_RESERVED;
            }
            case EXTERNAL_ABORT: {
                TranslationConfig config = config(unit, device, pasid);
                boolean root = config != null && config.stage1() != null
                        && fault.level() == config.stage1().format().levels() - 1;
                return root ? VtdScalableFaultReason.SFL_ROOT_ACCESS : VtdScalableFaultReason.SFL_ACCESS;
            }
            case PERMISSION:
                return firstStagePermission(unit, device, pasid, fault);
            case ACCESS_FLAG:
                return VtdScalableFaultReason.SFL_AD;
            case CONFIGURATION:
            default:
                return configuration(fault);
        }
    }

    /**
     * Which permission the first-stage path withheld, in the order the specification lists the
     * checks: U/S for a user request (SGN.2), then R/W (SGN.6), then XD (SGN.3).
     */
    private static int firstStagePermission(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        VtdFaultWalkProbe.Entry e = probe(unit, device, pasid, fault, true);
        if (e != null) {
            int missing = Access.requiredPermissions(fault.access()) & ~e.permissions();
            if ((missing & Permission.USER) != 0) {
                return VtdScalableFaultReason.SGN_USER;
            }
            if ((missing & Permission.WRITE) != 0) {
                return VtdScalableFaultReason.SGN_NO_WRITE;
            }
            if ((missing & (Permission.EXEC_USER | Permission.EXEC_PRIV)) != 0) {
                return VtdScalableFaultReason.SGN_EXECUTE;
            }
        }
        if ((fault.access() & Access.WRITE) != 0) {
            return VtdScalableFaultReason.SGN_NO_WRITE;
        }
        return (fault.access() & Access.EXEC) != 0 ? VtdScalableFaultReason.SGN_EXECUTE
                : VtdScalableFaultReason.SGN_USER;
    }

    private static VtdFaultWalkProbe.Entry probe(UnitContext unit, DeviceInfo device, int pasid, Fault fault,
            boolean firstStage) {
        TranslationConfig config = config(unit, device, pasid);
        return config == null ? null
                : VtdFaultWalkProbe.probe(unit, config, firstStage, fault.faultAddress(), fault.level());
    }

    private static int secondStage(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        switch (fault.reason()) {
            case TRANSLATION: {
                VtdFaultWalkProbe.Entry e = probe(unit, device, pasid, fault, false);
                return e != null && (e.descriptor() & SECOND_STAGE_READ_WRITE) != 0
                        ? VtdScalableFaultReason.SSL_RESERVED : VtdScalableFaultReason.SSL_PERMISSION;
            }
            case ADDRESS_SIZE:
                return fault.level() < 0 ? VtdScalableFaultReason.SGN_BEYOND_MAX
                        : VtdScalableFaultReason.SGN_SECOND_STAGE_ADDRESS;
            case EXTERNAL_ABORT:
                return secondStageRoot(unit, device, pasid, fault) ? VtdScalableFaultReason.SSL_ROOT
                        : VtdScalableFaultReason.SSL_ACCESS;
            case PERMISSION: {
                TranslationConfig config = config(unit, device, pasid);
                if (config == null || config.stage2() == null) {
                    return (fault.access() & Access.WRITE) != 0 ? VtdScalableFaultReason.SGN_NO_WRITE
                            : VtdScalableFaultReason.SGN_NO_READ;
                }
                return readGranted(unit, config, fault.faultAddress()) ? VtdScalableFaultReason.SGN_NO_WRITE
                        : VtdScalableFaultReason.SGN_NO_READ;
            }
            case ACCESS_FLAG:
                return VtdScalableFaultReason.SSL_AD;
            case CONFIGURATION:
            default:
                return configuration(fault);
        }
    }

    /** A stage-2 fault while translating the GPA of a first-stage entry (nested). */
    private static int firstStageTableFetch(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        switch (fault.reason()) {
            case TRANSLATION:
            case PERMISSION: {
                TranslationConfig config = config(unit, device, pasid);
                if (fault.reason() == FaultReason.PERMISSION && config != null
                        && config.stage2() != null && readGranted(unit, config, fault.faultAddress())) {
                    return VtdScalableFaultReason.SFL_NESTED_AD_WRITE;
                }
                boolean root = config != null && config.stage1() != null
                        && Long.compareUnsigned(fault.faultAddress() - config.stage1().rootAddress(), PAGE) < 0;
                return root ? VtdScalableFaultReason.SFL_NESTED_ROOT_READ : VtdScalableFaultReason.SFL_NESTED_READ;
            }
            case ADDRESS_SIZE:
                return fault.level() < 0 ? VtdScalableFaultReason.SFL_NESTED_ADDRESS
                        : VtdScalableFaultReason.SGN_SECOND_STAGE_ADDRESS;
            case EXTERNAL_ABORT:
                return secondStageRoot(unit, device, pasid, fault) ? VtdScalableFaultReason.SSL_ROOT
                        : VtdScalableFaultReason.SSL_ACCESS;
            case ACCESS_FLAG:
                return VtdScalableFaultReason.SSL_AD;
            case CONFIGURATION:
            default:
                return configuration(fault);
        }
    }

    private static boolean secondStageRoot(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        TranslationConfig config = config(unit, device, pasid);
        return config != null && config.stage2() != null
                && fault.level() == config.stage2().format().levels() - 1;
    }

    /** Whether stage 2 lets a read of {@code ipa} through. */
    private static boolean readGranted(UnitContext unit, TranslationConfig config, long ipa) {
        try {
            unit.translateStage2(config.stage2(), config.domainTag(), ipa, Access.READ);
            return true;
        } catch (FaultException e) {
            return false;
        }
    }

    /** The device's configuration as the hardware would decode it now, or null when it does not decode. */
    private static TranslationConfig config(UnitContext unit, DeviceInfo device, int pasid) {
        try {
            return VtdConfigDecoder.decode(unit, device, pasid);
        } catch (FaultException | IommuException e) {
            return null;
        }
    }

    private VtdFaultReasonEncoder() {
    }
}
