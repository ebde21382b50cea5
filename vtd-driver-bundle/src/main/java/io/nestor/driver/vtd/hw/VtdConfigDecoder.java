package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.driver.vtd.hw.format.VtdFirstStageFormat;
import io.nestor.driver.vtd.hw.format.VtdSecondStageFormat;

/**
 * The hardware's view of which translation applies to a request: the scalable-mode walk from
 * RTADDR through the root entry, the context entry, the PASID-directory entry and the PASID-table
 * entry (VT-d spec 3.4.3 and chapter 9; QEMU {@code hw/i386/intel_iommu.c}
 * {@code vtd_dev_to_context_entry}, {@code vtd_ce_get_rid2pasid_entry}, {@code vtd_get_pe_from_pasid_table};
 * Nestor {@code hw-formats.md} 1.2-1.4).
 *
 * <p>The root table is the one GCMD.SRTP latched ({@link VtdRegisterOffsets#LATCHED_ROOT_TABLE},
 * written by {@link VtdMmio}); a later RTADDR write without SRTP changes nothing.
 *
 * <p>With GSTS.TES clear the unit does not remap: DMA passes through untranslated (VT-d spec 10.4.4).
 *
 * <p>Every absent or invalid structure raises a {@link FaultException} carrying a
 * {@link Fault#config configuration fault} with the scalable-mode fault reason of
 * {@link VtdScalableFaultReason}. Checks run in walk order (root, context, directory, PASID entry),
 * within an entry present bit before reserved bits before semantic validity, as QEMU does. A read
 * beyond the implemented memory (EFAULT from {@link PhysicalMemory}) is the "error accessing" reason
 * of the structure being fetched. The request's access bits and IOVA are unknown here, so the fault
 * carries 0 for both; the core, which knows the request, fills them in when it records the fault.
 *
 * <p>Not decided here because they depend on the request rather than the configuration: DTE for
 * translation requests (0x44), PRE for page requests (0x47), SRE for supervisor requests (0x5D), and
 * FPD suppression of qualified faults.
 */
public final class VtdConfigDecoder {

    /** RTADDR bits 11:10: translation-table mode (VT-d spec 11.4.5). */
    private static final int TTM_SHIFT = 10;
    private static final long TTM_SCALABLE = 1;
    /** A PASID is 20 bits. */
    /** PASID bits 5:0 index the 64-entry PASID table; bits 19:6 the directory. */
    private static final int PASID_TABLE_SHIFT = 6;

    public static TranslationConfig decode(UnitContext unit, DeviceInfo device, int pasid) throws FaultException {
        int gsts = unit.registers().read32(VtdRegisterOffsets.GSTS);
        if (!VtdGlobalStatusRegister.translationEnabled(gsts)) {
            return TranslationConfig.bypass(0);
        }
        if (pasid != DeviceInfo.NO_PASID && (pasid < 0 || pasid > VtdPasidEntry.MAX_PASID)) {
            throw IommuException.of(Errno.EINVAL, "%s: PASID %d outside 0..%d for device %s", unit.name(), pasid,
                    VtdPasidEntry.MAX_PASID, device.name());
        }
        if (device.sourceId() > 0xFFFF) {
            throw IommuException.of(Errno.EINVAL, "%s: source-id 0x%x of device %s is not a 16-bit PCI requester ID",
                    unit.name(), device.sourceId(), device.name());
        }
        long cap = unit.registers().read64(VtdRegisterOffsets.CAP);
        long ecap = unit.registers().read64(VtdRegisterOffsets.ECAP);
        int haw = unit.features().outputAddressBits();

        // The walk starts from the root table latched by the last SRTP, not from what RTADDR holds now.
        long rtaddr = unit.registers().read64(VtdRegisterOffsets.LATCHED_ROOT_TABLE);
        long ttm = (rtaddr >>> TTM_SHIFT) & 3;
        if (ttm == 0) {
            // Legacy-mode tables are not emulated; QEMU names 0x31 "invalid TTM in RTADDR".
            throw fault(VtdScalableFaultReason.RTA_LEGACY_TTM);
        }
        if (ttm != TTM_SCALABLE) {
            // 10b is reserved; 11b (abort-DMA) needs ECAP.ADMS, which this unit does not report.
            throw fault(VtdScalableFaultReason.RTA_INVALID_ROOT_TABLE);
        }
        long rootTable = rtaddr & ~0xFFFL;
        if ((rootTable & ~((1L << haw) - 1)) != 0) {
            throw fault(VtdScalableFaultReason.RTA_INVALID_ROOT_TABLE);
        }

        PhysicalMemory memory = unit.memory();
        int sid = device.sourceId();
        int bus = (sid >>> 8) & 0xFF;
        int devfn = sid & 0xFF;

        long rootAddress = rootTable + (long) bus * VtdRootEntry.SIZE;
        VtdRootEntry root = new VtdRootEntry(
                read64(memory, rootAddress, VtdScalableFaultReason.SRT_ACCESS),
                read64(memory, rootAddress + 8, VtdScalableFaultReason.SRT_ACCESS));
        if (!root.present(devfn)) {
            throw fault(VtdScalableFaultReason.SRT_NOT_PRESENT);
        }
        if (root.reservedBitsSet(devfn, haw)) {
            throw fault(VtdScalableFaultReason.SRT_RESERVED);
        }

        long contextAddress = root.contextTablePointer(devfn) + (long) (devfn & 0x7F) * VtdContextEntry.SIZE;
        VtdContextEntry context = new VtdContextEntry(
                read64(memory, contextAddress, VtdScalableFaultReason.SCT_ACCESS),
                read64(memory, contextAddress + 8, VtdScalableFaultReason.SCT_ACCESS),
                read64(memory, contextAddress + 16, VtdScalableFaultReason.SCT_ACCESS),
                read64(memory, contextAddress + 24, VtdScalableFaultReason.SCT_ACCESS));
        if (!context.present()) {
            throw fault(VtdScalableFaultReason.SCT_NOT_PRESENT);
        }
        if (context.reservedBitsSet(haw, VtdExtendedCapabilityRegister.RPRIVS.isSet(ecap))) {
            throw fault(VtdScalableFaultReason.SCT_RESERVED);
        }

        int effectivePasid;
        if (pasid == DeviceInfo.NO_PASID) {
            effectivePasid = context.ridPasid();
            if ((effectivePasid >>> PASID_TABLE_SHIFT) >= context.pasidDirectoryEntries()) {
                throw fault(VtdScalableFaultReason.SCT_RID_PASID);
            }
        } else {
            if (!context.pasidEnable()) {
                throw fault(VtdScalableFaultReason.SCT_PASID_DISABLED);
            }
            effectivePasid = pasid;
            if ((effectivePasid >>> PASID_TABLE_SHIFT) >= context.pasidDirectoryEntries()) {
                throw fault(VtdScalableFaultReason.SCT_PASID_BEYOND_DIRECTORY);
            }
        }

        long directoryAddress = context.pasidDirectoryPointer()
                + (long) (effectivePasid >>> PASID_TABLE_SHIFT) * VtdPasidDirectoryEntry.SIZE;
        VtdPasidDirectoryEntry directory = new VtdPasidDirectoryEntry(
                read64(memory, directoryAddress, VtdScalableFaultReason.SPD_ACCESS));
        if (!directory.present()) {
            throw fault(VtdScalableFaultReason.SPD_NOT_PRESENT);
        }
        if (directory.reservedBitsSet(haw)) {
            throw fault(VtdScalableFaultReason.SPD_RESERVED);
        }

        long entryAddress = directory.pasidTablePointer()
                + (long) (effectivePasid & ((1 << PASID_TABLE_SHIFT) - 1)) * VtdPasidEntry.SIZE;
        long[] qwords = new long[VtdPasidEntry.QWORDS];
        for (int i = 0; i < qwords.length; i++) {
            qwords[i] = read64(memory, entryAddress + 8L * i, VtdScalableFaultReason.SPT_ACCESS);
        }
        VtdPasidEntry entry = new VtdPasidEntry(qwords);
        // P before the type check: a cleared entry (Linux leaves FPD only, PGTT 0) is "not present"
        // (SPT.2). QEMU's vtd_get_pe_in_pasid_leaf_table checks PGTT first and would report 0x5B.
        if (!entry.present()) {
            throw fault(VtdScalableFaultReason.SPT_NOT_PRESENT);
        }
        if (entry.reservedBitsSet() || entry.domainId() >= VtdCapabilityRegister.domainCount(cap)) {
            // DID bits beyond CAP.ND are reserved (VT-d spec 9.6, "Domain Identifier").
            throw fault(VtdScalableFaultReason.SPT_RESERVED);
        }
        return decodePasidEntry(entry, effectivePasid, cap, ecap, haw);
    }

    /** PGTT dispatch (VT-d spec 9.6, "PASID Granular Translation Type"); Linux pasid.h PGTT values. */
    private static TranslationConfig decodePasidEntry(VtdPasidEntry entry, int pasid, long cap, long ecap,
            int haw) throws FaultException {
        int did = entry.domainId();
        switch (entry.pgtt()) {
            case VtdPasidEntry.PGTT_FIRST_STAGE: {
                require(VtdExtendedCapabilityRegister.FSTS.isSet(ecap));
                // FSPTPTR is a host physical address here: bits at or above HAW are reserved.
                requireWithin(entry.firstStagePointer(), haw);
                // First-stage A/D updates are architectural (no enable bit, VT-d spec 3.6.2), hence true.
                StageConfig s1 = new StageConfig(firstStage(entry, cap, haw), entry.firstStagePointer(), true);
                return new TranslationConfig(TranslationMode.STAGE1, s1, null, did, pasid);
            }
            case VtdPasidEntry.PGTT_SECOND_STAGE: {
                require(VtdExtendedCapabilityRegister.SSTS.isSet(ecap));
                StageConfig s2 = secondStage(entry, cap, ecap, haw);
                return new TranslationConfig(TranslationMode.STAGE2, null, s2, did, -1);
            }
            case VtdPasidEntry.PGTT_NESTED: {
                require(VtdExtendedCapabilityRegister.NEST.isSet(ecap));
                StageConfig s2 = secondStage(entry, cap, ecap, haw);
                // The first stage outputs guest physical addresses, which the second stage's input
                // width bounds; first-stage entries carry at most 52 address bits. FSPTPTR is a GPA
                // here: a bad one surfaces during the walk (0x73 / 0x74 / 0x75), not at decode.
                int gpaBits = Math.min(52, s2.format().inputAddressBits());
                StageConfig s1 = new StageConfig(firstStage(entry, cap, gpaBits), entry.firstStagePointer(), true);
                return new TranslationConfig(TranslationMode.NESTED, s1, s2, did, pasid);
            }
            case VtdPasidEntry.PGTT_PASS_THROUGH:
                require(VtdExtendedCapabilityRegister.PT.isSet(ecap));
                return TranslationConfig.bypass(did);
            default:
                throw fault(VtdScalableFaultReason.SPT_INVALID);
        }
    }

    /** FSPM 00 = 4-level, 01 = 5-level (needs CAP.FL5LP); 10 and 11 are reserved. */
    private static VtdFirstStageFormat firstStage(VtdPasidEntry entry, long cap, int outputBits)
            throws FaultException {
        int fspm = entry.firstStagePagingMode();
        if (fspm == VtdPasidEntry.FSPM_5_LEVEL) {
            require(VtdCapabilityRegister.FL5LP.isSet(cap));
        } else if (fspm != VtdPasidEntry.FSPM_4_LEVEL) {
            throw fault(VtdScalableFaultReason.SPT_INVALID);
        }
        return new VtdFirstStageFormat(fspm == VtdPasidEntry.FSPM_5_LEVEL, outputBits,
                VtdCapabilityRegister.FL1GP.isSet(cap), entry.writeProtectEnable());
    }

    /**
     * AW must name a width CAP.SAGAW reports (bit AW set: 1 = 39-bit, 2 = 48-bit, 3 = 57-bit);
     * SSADE needs ECAP.SSADS; SSPTPTR is a host physical address below HAW.
     */
    private static StageConfig secondStage(VtdPasidEntry entry, long cap, long ecap, int haw) throws FaultException {
        int aw = entry.addressWidth();
        long sagaw = VtdCapabilityRegister.SAGAW.extract(cap);
        if (aw < 1 || aw > 3 || (sagaw & (1L << aw)) == 0) {
            throw fault(VtdScalableFaultReason.SPT_INVALID);
        }
        boolean ssade = entry.secondStageAccessedDirtyEnable();
        if (ssade) {
            require(VtdExtendedCapabilityRegister.SSADS.isSet(ecap));
        }
        requireWithin(entry.secondStagePointer(), haw);
        long sllps = VtdCapabilityRegister.SLLPS.extract(cap);
        boolean executeControl = VtdExtendedCapabilityRegister.ERS.isSet(ecap) && entry.secondStageExecuteEnable();
        VtdSecondStageFormat format = new VtdSecondStageFormat(VtdSecondStageFormat.widthForAwField(aw), haw,
                (sllps & VtdCapabilityRegister.SLLPS_2M) != 0, (sllps & VtdCapabilityRegister.SLLPS_1G) != 0,
                ssade, executeControl);
        return new StageConfig(format, entry.secondStagePointer(), ssade);
    }

    private static void require(boolean supported) throws FaultException {
        if (!supported) {
            throw fault(VtdScalableFaultReason.SPT_INVALID);
        }
    }

    private static void requireWithin(long pointer, int haw) throws FaultException {
        if ((pointer & ~((1L << haw) - 1)) != 0) {
            throw fault(VtdScalableFaultReason.SPT_RESERVED);
        }
    }

    /** A 64-bit structure read; a bus error (EFAULT) becomes the given "error accessing" reason. */
    private static long read64(PhysicalMemory memory, long address, int accessFaultReason) throws FaultException {
        try {
            return memory.read64(address);
        } catch (IommuException e) {
            if (e.errno() == Errno.EFAULT) {
                throw fault(accessFaultReason);
            }
            throw e;
        }
    }

    /** Access and IOVA are 0: the core knows the request and fills them in. */
    private static FaultException fault(int reason) {
        return new FaultException(Fault.config(reason, 0, 0));
    }

    private VtdConfigDecoder() {
    }
}
