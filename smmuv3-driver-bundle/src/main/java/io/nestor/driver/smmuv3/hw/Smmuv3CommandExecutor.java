package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import java.util.ArrayList;
import java.util.List;

/**
 * What the SMMU does with one command (hw-formats.md §2.5, §3.4): invalidations become
 * {@link InvalidationScope}s applied through {@link UnitContext#invalidate}, PRI and stall responses
 * reach the device through {@link UnitContext#completePageRequest}, CMD_SYNC signals completion.
 *
 * <p>Every field is checked before anything takes effect: a command that throws
 * {@link Smmuv3CommandError} has applied no scope and answered no device.
 *
 * <p>Scopes:
 * <ul>
 * <li>CFGI_STE, CFGI_CD_ALL: {@code DeviceConfig(SID, ANY)} (an STE change also voids what was
 *     decoded from its CDs, §3.3); CFGI_CD: {@code DeviceConfig(SID, SSID)}, and for SSID 0 also the
 *     requests without a SubstreamID, which use CD 0 (S1CDMax = 0 or S1DSS = SSID0);
 *     CFGI_STE_RANGE: one {@code DeviceConfig} per StreamID for spans up to
 *     {@value #MAX_STREAMS_ONE_BY_ONE} streams, {@code UnitConfig} beyond (over-invalidation is
 *     legal) and for Range = 31 (CFGI_ALL). StreamIDs beyond IDR1.SIDSIZE have no STE and nothing
 *     to invalidate. The Leaf bit only spares L1 descriptors, which are not cached apart.</li>
 * <li>TLBI_NH_ALL: {@code AddressSpace(VMID, ANY)}; NH_ASID: {@code AddressSpace(VMID, ASID)};
 *     NH_VA: {@code AddressSpaceRange(VMID, ASID, range, Leaf)}; NH_VAA: the same with {@code ANY};
 *     S12_VMALL: {@code Domain(VMID)}; S2_IPA: {@code Stage2Range(VMID, range, Leaf)};
 *     NSNH_ALL: {@code Unit} (the API has no "every TLB entry but no configuration" scope; removing
 *     configurations too is legal over-invalidation). The VMID is the domain tag the decoder uses: 0
 *     without stage 2, 8 bits without IDR0.VMID16; the ASID is 8 bits without IDR0.ASID16.</li>
 * <li>ATC_INV (needs IDR0.ATS): checked, no scope — the platform models no device-side ATC
 *     apart from the unit's caches, which ATC_INV does not touch.</li>
 * </ul>
 * Illegal (CERROR_ILL): unknown opcodes; EL2 and EL3 TLB invalidations (no IDR0.HYP, and EL3 is
 * Secure); SSec = 1 on the Non-secure queue (as QEMU checks); stage-2 invalidations without
 * IDR0.S2P; PRI_RESP without IDR0.PRI or with Resp = 3; RESUME / STALL_TERM on an SMMU without the
 * stall model or with Action = 3; SYNC with CS = 3; the range rules of {@link Smmuv3TlbiRange}.
 *
 * <p>CMD_SYNC: every earlier command has already taken effect (commands complete synchronously).
 * With CS = SIG_IRQ and IDR0.MSI the SMMU writes the 32-bit MSIData to MSIAddr (bits 51:2), which
 * is how Linux completes a sync under {@code ARM_SMMU_OPT_MSIPOLL}: MSIAddr points at the command
 * itself and MSIData 0 clears the word it polls. MSIAddr 0 sends no MSI; MSH / MSIAttr describe
 * memory attributes a coherent emulator has no use for. A bus error on the MSI write raises
 * GERROR.MSI_CMDQ_ABT_ERR. CS = SIG_SEV wakes WFE waiters, which an emulator does not have.
 *
 * <p>STALL_TERM is accepted, but it cannot answer the stalled transactions of the stream: the
 * driver keeps no record of them and the API gives no "terminate all of a stream" response.
 */
final class Smmuv3CommandExecutor {

    /** The largest CFGI_STE_RANGE span invalidated StreamID by StreamID. */
    static final int MAX_STREAMS_ONE_BY_ONE = 64;

    static void execute(UnitContext unit, Smmuv3Command cmd) throws Smmuv3CommandError {
        RegisterFile regs = unit.registers();
        int idr0 = regs.read32(Smmuv3RegisterOffsets.IDR0);
        int idr1 = regs.read32(Smmuv3RegisterOffsets.IDR1);
        int idr3 = regs.read32(Smmuv3RegisterOffsets.IDR3);
        int idr5 = regs.read32(Smmuv3RegisterOffsets.IDR5);
        int u = unit.index();
        switch (cmd.opcode()) {
            case Smmuv3Command.PRI_RESP:
                priResponse(unit, cmd, idr0, idr1);
                return;
            case Smmuv3Command.RESUME:
                resume(unit, cmd, idr0, idr1);
                return;
            case Smmuv3Command.SYNC:
                sync(unit, cmd, idr0);
                return;
            default:
                break;
        }
        List<InvalidationScope> scopes = new ArrayList<>();
        try {
            switch (cmd.opcode()) {
                case Smmuv3Command.PREFETCH_CONFIG:
                case Smmuv3Command.PREFETCH_ADDR:
                    break; // hints only
                case Smmuv3Command.CFGI_STE:
                case Smmuv3Command.CFGI_CD_ALL:
                    nonSecure(cmd);
                    if (streamExists(cmd.sid(), idr1)) {
                        scopes.add(new InvalidationScope.DeviceConfig(u, cmd.sid(), InvalidationScope.ANY));
                    }
                    break;
                case Smmuv3Command.CFGI_CD:
                    nonSecure(cmd);
                    if (streamExists(cmd.sid(), idr1)) {
                        scopes.add(new InvalidationScope.DeviceConfig(u, cmd.sid(), cmd.ssid()));
                        if (cmd.ssid() == 0) {
                            scopes.add(new InvalidationScope.DeviceConfig(u, cmd.sid(), -1));
                        }
                    }
                    break;
                case Smmuv3Command.CFGI_STE_RANGE:
                    nonSecure(cmd);
                    streamRange(u, cmd, idr1, scopes);
                    break;
                case Smmuv3Command.TLBI_NH_ALL:
                    scopes.add(new InvalidationScope.AddressSpace(u, vmid(cmd, idr0), InvalidationScope.ANY));
                    break;
                case Smmuv3Command.TLBI_NH_ASID:
                    scopes.add(new InvalidationScope.AddressSpace(u, vmid(cmd, idr0), asid(cmd, idr0)));
                    break;
                case Smmuv3Command.TLBI_NH_VA:
                case Smmuv3Command.TLBI_NH_VAA: {
                    Smmuv3TlbiRange r = Smmuv3TlbiRange.of(cmd, cmd.field1(Smmuv3Command.TLBI_VA_1) << 12, idr3, idr5);
                    int asid = cmd.opcode() == Smmuv3Command.TLBI_NH_VA ? asid(cmd, idr0) : InvalidationScope.ANY;
                    scopes.add(new InvalidationScope.AddressSpaceRange(u, vmid(cmd, idr0), asid, r.address(), r.size(),
                            cmd.field1(Smmuv3Command.TLBI_LEAF_1) != 0));
                    break;
                }
                case Smmuv3Command.TLBI_S12_VMALL:
                    stage2(cmd, idr0);
                    scopes.add(new InvalidationScope.Domain(u, vmid(cmd, idr0)));
                    break;
                case Smmuv3Command.TLBI_S2_IPA: {
                    stage2(cmd, idr0);
                    Smmuv3TlbiRange r = Smmuv3TlbiRange.of(cmd, cmd.field1(Smmuv3Command.TLBI_IPA_1) << 12, idr3, idr5);
                    scopes.add(new InvalidationScope.Stage2Range(u, vmid(cmd, idr0), r.address(), r.size(),
                            cmd.field1(Smmuv3Command.TLBI_LEAF_1) != 0));
                    break;
                }
                case Smmuv3Command.TLBI_NSNH_ALL:
                    scopes.add(new InvalidationScope.Unit(u));
                    break;
                case Smmuv3Command.ATC_INV:
                    if (Smmuv3Idr0.get(Smmuv3Idr0.ATS, idr0) == 0) {
                        throw Smmuv3CommandError.illegal("ATC_INV without IDR0.ATS");
                    }
                    break;
                case Smmuv3Command.STALL_TERM:
                    stallModel(idr0, "STALL_TERM");
                    break;
                default:
                    throw Smmuv3CommandError.illegal("opcode 0x%02x is not implemented (EL2 / EL3 TLB "
                            + "invalidations need IDR0.HYP / the Secure queue)", cmd.opcode());
            }
        } catch (IommuException e) {
            // A tag or range the scope refuses: the command is illegal, and nothing has taken effect.
            throw Smmuv3CommandError.illegal("%s", e.getMessage());
        }
        for (InvalidationScope scope : scopes) {
            unit.invalidate(scope);
        }
    }

    private static void nonSecure(Smmuv3Command cmd) throws Smmuv3CommandError {
        if (cmd.field0(Smmuv3Command.SSEC) != 0) {
            throw Smmuv3CommandError.illegal("SSec = 1 on the Non-secure command queue");
        }
    }

    private static void stage2(Smmuv3Command cmd, int idr0) throws Smmuv3CommandError {
        if (Smmuv3Idr0.get(Smmuv3Idr0.S2P, idr0) == 0) {
            throw Smmuv3CommandError.illegal("opcode 0x%02x needs stage 2 (IDR0.S2P)", cmd.opcode());
        }
    }

    private static void stallModel(int idr0, String what) throws Smmuv3CommandError {
        if (Smmuv3Idr0.get(Smmuv3Idr0.STALL_MODEL, idr0) == Smmuv3Idr0.STALL_MODEL_TERMINATE_ONLY) {
            throw Smmuv3CommandError.illegal("%s on an SMMU without the stall model", what);
        }
    }

    private static boolean streamExists(int sid, int idr1) {
        return Integer.toUnsignedLong(sid) < 1L << Smmuv3Idr1.get(Smmuv3Idr1.SIDSIZE, idr1)
                && sid >= 0;
    }

    private static void streamRange(int u, Smmuv3Command cmd, int idr1, List<InvalidationScope> scopes) {
        int range = (int) cmd.field1(Smmuv3Command.CFGI_RANGE_1);
        long span = 1L << (range + 1);
        if (range == Smmuv3Command.CFGI_RANGE_ALL || span > MAX_STREAMS_ONE_BY_ONE) {
            scopes.add(new InvalidationScope.UnitConfig(u));
            return;
        }
        long first = Integer.toUnsignedLong(cmd.sid()) & -span;
        for (long sid = first; sid < first + span; sid++) {
            if (streamExists((int) sid, idr1)) {
                scopes.add(new InvalidationScope.DeviceConfig(u, (int) sid, InvalidationScope.ANY));
            }
        }
    }

    /** The VMID as the decoder tags: 0 without stage 2, 8 bits without VMID16. */
    private static int vmid(Smmuv3Command cmd, int idr0) {
        if (Smmuv3Idr0.get(Smmuv3Idr0.S2P, idr0) == 0) {
            return 0;
        }
        return (int) cmd.field0(Smmuv3Command.TLBI_VMID) & Smmuv3Idr0.vmidMask(idr0);
    }

    private static int asid(Smmuv3Command cmd, int idr0) {
        return (int) cmd.field0(Smmuv3Command.TLBI_ASID) & Smmuv3Idr0.asidMask(idr0);
    }

    private static void priResponse(UnitContext unit, Smmuv3Command cmd, int idr0, int idr1) throws Smmuv3CommandError {
        if (Smmuv3Idr0.get(Smmuv3Idr0.PRI, idr0) == 0) {
            throw Smmuv3CommandError.illegal("PRI_RESP without IDR0.PRI");
        }
        PageResponseCode code;
        switch ((int) cmd.field1(Smmuv3Command.PRI_RESP_1)) {
            case Smmuv3Command.PRI_RESP_DENY:
                code = PageResponseCode.INVALID;
                break;
            case Smmuv3Command.PRI_RESP_FAIL:
                code = PageResponseCode.FAILURE;
                break;
            case Smmuv3Command.PRI_RESP_SUCCESS:
                code = PageResponseCode.SUCCESS;
                break;
            default:
                throw Smmuv3CommandError.illegal("PRI_RESP with the reserved Resp 3");
        }
        int pasid = cmd.field0(Smmuv3Command.SSV) != 0 ? cmd.ssid() : -1;
        if (streamExists(cmd.sid(), idr1)) {
            int group = (int) cmd.field1(Smmuv3Command.PRI_GRPID_1);
            unit.completePageRequest(cmd.sid(), new PageResponse(pasid, group, false, code));
        }
    }

    private static void resume(UnitContext unit, Smmuv3Command cmd, int idr0, int idr1) throws Smmuv3CommandError {
        stallModel(idr0, "RESUME");
        PageResponseCode code;
        switch ((int) cmd.field0(Smmuv3Command.RESUME_ACTION)) {
            case Smmuv3Command.RESUME_RETRY:
                code = PageResponseCode.SUCCESS;
                break;
            case Smmuv3Command.RESUME_TERMINATE:
                code = PageResponseCode.INVALID;
                break;
            case Smmuv3Command.RESUME_ABORT:
                code = PageResponseCode.FAILURE;
                break;
            default:
                throw Smmuv3CommandError.illegal("RESUME with the reserved Action 3");
        }
        if (streamExists(cmd.sid(), idr1)) {
            int stag = (int) cmd.field1(Smmuv3Command.RESUME_STAG_1);
            unit.completePageRequest(cmd.sid(), new PageResponse(-1, stag, true, code));
        }
    }

    private static void sync(UnitContext unit, Smmuv3Command cmd, int idr0) throws Smmuv3CommandError {
        int cs = (int) cmd.field0(Smmuv3Command.SYNC_CS);
        if (cs > Smmuv3Command.SYNC_CS_SEV) {
            throw Smmuv3CommandError.illegal("SYNC with the reserved CS 3");
        }
        long msiAddress = cmd.field1(Smmuv3Command.SYNC_MSIADDR_1) << 2;
        if (cs != Smmuv3Command.SYNC_CS_IRQ || Smmuv3Idr0.get(Smmuv3Idr0.MSI, idr0) == 0 || msiAddress == 0) {
            return;
        }
        try {
            unit.memory().write32(msiAddress, (int) cmd.field0(Smmuv3Command.SYNC_MSIDATA));
        } catch (IommuException e) {
            if (e.errno() != Errno.EFAULT) {
                throw e;
            }
            Smmuv3GlobalErrors.raise(unit.registers(), Smmuv3GlobalErrors.MSI_CMDQ_ABT_ERR);
        }
    }

    private Smmuv3CommandExecutor() {
    }
}
