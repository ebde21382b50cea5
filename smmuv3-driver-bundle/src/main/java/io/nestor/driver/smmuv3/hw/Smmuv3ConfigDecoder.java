package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;

/**
 * The hardware's view of which translation applies to a transaction.
 *
 * <p>With CR0.SMMUEN clear the SMMU does not use its stream table: every transaction follows
 * SMMU_GBPA, aborting when GBPA.ABORT is set and otherwise passing through untranslated.
 *
 * <p>With SMMUEN set the StreamID ({@link DeviceInfo#sourceId()}) selects an STE
 * ({@link Smmuv3StreamTable}); its Config picks the mode (hw-formats.md §2.2): 0b0xx abort without
 * an event, 0b100 bypass, 0b101 stage 1, 0b110 stage 2, 0b111 nested. For stage 1 the SubstreamID
 * (the PASID) selects a CD ({@link Smmuv3CdTable}); a request without one follows S1DSS when
 * S1CDMax &gt; 0. Check order: the stream table, STE.V, Config against IDR0.S1P / S2P, the stage-2
 * fields, the stage-1 STE fields (S1CDMax against IDR1.SSIDSIZE, S1Fmt, S1DSS), the SubstreamID,
 * then the CD. Stalling is checked as the architecture requires: STE.S2S on an SMMU without the
 * stall model is C_BAD_STE; CD.S with STE.S1STALLD set or without the stall model is C_BAD_CD (QEMU
 * {@code decode_cd} refuses CD.S on its terminate-only SMMU the same way). Every illegal structure is a {@link FaultException} carrying the SMMUv3 event number
 * ({@link Smmuv3EventType}).
 *
 * <p>Tags: the domain tag is STE.S2VMID whenever the SMMU implements stage 2 (the VMID tags
 * stage-1-only entries too), masked to 8 bits without IDR0.VMID16, else 0; the address-space tag is
 * CD.ASID (8 bits without IDR0.ASID16) for stage 1, -1 otherwise.
 *
 * <p>NESTED: S1ContextPtr and the L1CD L2Ptr are IPAs; the SMMU translates the address of the
 * L1CD descriptor and of the CD through the STE's stage 2 ({@link UnitContext#translateStage2} with
 * the decoded stage 2 and the VMID, a read) before fetching them. A stage-2 fault there is the
 * configuration's fault, reported with S2 = 1 and CLASS = CD ({@link Smmuv3StructureAddress}); a
 * bus error reading the structure at its physical address stays F_CD_FETCH. The CD's TTB0 is an IPA
 * too; the walker translates it. A nested STE used by a request without SubstreamID under
 * S1DSS = bypass needs no CD and decodes to STAGE2.
 */
public final class Smmuv3ConfigDecoder {

    public static TranslationConfig decode(UnitContext unit, DeviceInfo device, int pasid) throws FaultException {
        RegisterFile regs = unit.registers();
        int cr0 = regs.read32(Smmuv3RegisterOffsets.CR0);
        if (!Smmuv3ControlRegisters.smmuEnabled(cr0)) {
            int gbpa = regs.read32(Smmuv3RegisterOffsets.GBPA);
            return Smmuv3ControlRegisters.bypassAborts(gbpa) ? TranslationConfig.abort() : TranslationConfig.bypass(0);
        }
        int idr0 = regs.read32(Smmuv3RegisterOffsets.IDR0);
        int idr1 = regs.read32(Smmuv3RegisterOffsets.IDR1);
        int idr3 = regs.read32(Smmuv3RegisterOffsets.IDR3);
        int idr5 = regs.read32(Smmuv3RegisterOffsets.IDR5);
        PhysicalMemory memory = unit.memory();

        Smmuv3Ste ste = readSte(memory, regs, idr1, device.sourceId());
        if (!ste.valid()) {
            throw Smmuv3ConfigFaults.event(Smmuv3EventType.C_BAD_STE);
        }
        int config = ste.config();
        if ((config & 0b100) == 0) {
            return TranslationConfig.abort();
        }
        if (config == Smmuv3Ste.CONFIG_BYPASS) {
            return TranslationConfig.bypass(0);
        }
        boolean s1 = (config & 0b001) != 0;
        boolean s2 = (config & 0b010) != 0;
        boolean s2p = Smmuv3Idr0.get(Smmuv3Idr0.S2P, idr0) != 0;
        if ((s1 && Smmuv3Idr0.get(Smmuv3Idr0.S1P, idr0) == 0) || (s2 && !s2p)) {
            throw Smmuv3ConfigFaults.event(Smmuv3EventType.C_BAD_STE);
        }
        int vmid = s2p ? ste.s2Vmid() & Smmuv3Idr0.vmidMask(idr0) : 0;
        StageConfig stage2 = s2 ? Smmuv3StageDecoder.stage2(ste, idr0, idr3, idr5) : null;
        boolean canStall = Smmuv3Idr0.get(Smmuv3Idr0.STALL_MODEL, idr0) != Smmuv3Idr0.STALL_MODEL_TERMINATE_ONLY;
        if (s2 && ste.s2S() && !canStall) {
            throw Smmuv3ConfigFaults.event(Smmuv3EventType.C_BAD_STE);
        }
        if (!s1) {
            return new TranslationConfig(TranslationMode.STAGE2, null, stage2, vmid, -1);
        }

        checkStage1SteFields(ste, idr0, idr1);
        int ssid = substream(ste, pasid);
        if (ssid < 0) {
            // S1DSS = bypass: stage 1 is skipped for requests without a SubstreamID.
            return s2 ? new TranslationConfig(TranslationMode.STAGE2, null, stage2, vmid, -1)
                    : TranslationConfig.bypass(0);
        }
        Smmuv3StructureAddress where = s2 ? Smmuv3StructureAddress.throughStage2(unit, stage2, vmid)
                : Smmuv3StructureAddress.PHYSICAL;
        Smmuv3Cd cd = readCd(memory, where, ste, ssid);
        if (cd.s() && (ste.s1Stalld() || !canStall)) {
            throw Smmuv3ConfigFaults.event(Smmuv3EventType.C_BAD_CD);
        }
        StageConfig stage1 = Smmuv3StageDecoder.stage1(cd, idr0, idr3, idr5);
        int asid = cd.asid() & Smmuv3Idr0.asidMask(idr0);
        return new TranslationConfig(s2 ? TranslationMode.NESTED : TranslationMode.STAGE1, stage1, s2 ? stage2 : null,
                vmid, asid);
    }

    /** Reads the CD of {@code ssid} from the STE's CD table, translating its addresses with {@code where}. */
    private static Smmuv3Cd readCd(PhysicalMemory memory, Smmuv3StructureAddress where, Smmuv3Ste ste, int ssid)
            throws FaultException {
        long cdAddress = Smmuv3CdTable.cdAddress(memory, where, ste.s1ContextPtr(), ste.s1Fmt(), ste.s1CdMax(), ssid);
        return Smmuv3Cd.read(memory, where.physical(cdAddress));
    }

    /**
     * The STE of {@code sid} with SMMUEN set, or {@code null} when the SMMU is disabled; for the
     * event queue's fault-suppression checks ({@link Smmuv3FaultRecorder}).
     */
    static Smmuv3Ste steOf(UnitContext unit, int sid) throws FaultException {
        RegisterFile regs = unit.registers();
        if (!Smmuv3ControlRegisters.smmuEnabled(regs.read32(Smmuv3RegisterOffsets.CR0))) {
            return null;
        }
        return readSte(unit.memory(), regs, regs.read32(Smmuv3RegisterOffsets.IDR1), sid);
    }

    /** The STE of {@code sid} in the stream table SMMU_STRTAB_BASE / _CFG describe. */
    private static Smmuv3Ste readSte(PhysicalMemory memory, RegisterFile regs, int idr1, int sid)
            throws FaultException {
        long steAddress = Smmuv3StreamTable.steAddress(memory, regs.read64(Smmuv3RegisterOffsets.STRTAB_BASE),
                regs.read32(Smmuv3RegisterOffsets.STRTAB_BASE_CFG), Smmuv3Idr1.get(Smmuv3Idr1.SIDSIZE, idr1), sid);
        return Smmuv3Ste.read(memory, steAddress);
    }

    /**
     * The CD that served a stage-1 translation of {@code ssid} ({@link DeviceInfo#NO_PASID} for
     * none) under {@code ste}, or {@code null} when stage 1 does not apply; for fault suppression.
     */
    static Smmuv3Cd cdOf(UnitContext unit, Smmuv3Ste ste, int pasid) throws FaultException {
        int config = ste.config();
        if (!ste.valid() || (config & 0b101) != 0b101) {
            return null;
        }
        int ssid = substream(ste, pasid);
        if (ssid < 0) {
            return null;
        }
        Smmuv3StructureAddress where = Smmuv3StructureAddress.PHYSICAL;
        if (config == Smmuv3Ste.CONFIG_NESTED) {
            RegisterFile regs = unit.registers();
            int idr0 = regs.read32(Smmuv3RegisterOffsets.IDR0);
            int vmid = ste.s2Vmid() & Smmuv3Idr0.vmidMask(idr0);
            StageConfig stage2 = Smmuv3StageDecoder.stage2(ste, idr0, regs.read32(Smmuv3RegisterOffsets.IDR3),
                    regs.read32(Smmuv3RegisterOffsets.IDR5));
            where = Smmuv3StructureAddress.throughStage2(unit, stage2, vmid);
        }
        return readCd(unit.memory(), where, ste, ssid);
    }

    /** S1CDMax within IDR1.SSIDSIZE; S1Fmt and S1DSS not reserved; 2-level CD tables only with CD2L. */
    private static void checkStage1SteFields(Smmuv3Ste ste, int idr0, int idr1) throws FaultException {
        if (ste.s1CdMax() == 0) {
            return; // S1Fmt and S1DSS are ignored with a single CD
        }
        boolean bad = ste.s1CdMax() > Smmuv3Idr1.get(Smmuv3Idr1.SSIDSIZE, idr1)
                || ste.s1Fmt() > Smmuv3Ste.S1FMT_64K_L2
                || (ste.s1Fmt() != Smmuv3Ste.S1FMT_LINEAR && Smmuv3Idr0.get(Smmuv3Idr0.CD2L, idr0) == 0)
                || ste.s1Dss() > Smmuv3Ste.S1DSS_SSID0;
        if (bad) {
            throw Smmuv3ConfigFaults.event(Smmuv3EventType.C_BAD_STE);
        }
    }

    /**
     * The SubstreamID whose CD applies, or -1 when stage 1 is bypassed (S1DSS = bypass).
     *
     * @throws FaultException C_BAD_SUBSTREAMID (SSID with substreams disabled, SSID &ge;
     *     2^S1CDMax, SSID 0 under S1DSS = SSID0), F_STREAM_DISABLED (no SSID, S1DSS = terminate)
     */
    private static int substream(Smmuv3Ste ste, int pasid) throws FaultException {
        int cdMax = ste.s1CdMax();
        if (pasid == DeviceInfo.NO_PASID) {
            if (cdMax == 0) {
                return 0;
            }
            switch (ste.s1Dss()) {
                case Smmuv3Ste.S1DSS_TERMINATE:
                    throw Smmuv3ConfigFaults.event(Smmuv3EventType.F_STREAM_DISABLED);
                case Smmuv3Ste.S1DSS_BYPASS:
                    return -1;
                default:
                    return 0;
            }
        }
        if (pasid < 0 || cdMax == 0 || pasid >= 1 << cdMax
                || (pasid == 0 && ste.s1Dss() == Smmuv3Ste.S1DSS_SSID0)) {
            throw Smmuv3ConfigFaults.event(Smmuv3EventType.C_BAD_SUBSTREAMID);
        }
        return pasid;
    }

    private Smmuv3ConfigDecoder() {
    }
}
