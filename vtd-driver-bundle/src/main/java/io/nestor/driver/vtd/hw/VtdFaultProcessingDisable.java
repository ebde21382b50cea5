package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;

/**
 * Fault processing disable (VT-d spec 7.1.2, "qualified" faults; Nestor {@code hw-formats.md} 1.8):
 * FPD = 1 in the context entry, the PASID-directory entry or the PASID-table entry a request uses
 * stops the unit from recording the qualified faults of that request. Faults that arise before the
 * context entry could be read — invalid root table, root entry not present or reserved, an error
 * accessing the root, context, PASID-directory or PASID tables — are never qualified.
 *
 * <p>The FPD bit counts whether or not its entry is present: Linux tears a PASID entry down to
 * "FPD only" ({@code pasid_clear_entry_with_fpd}) precisely so the faults of a dying PASID are not
 * reported. (QEMU looks at the PASID entry's FPD only when it is present.) Entries are read from the
 * latched root table as the walk reads them; a structure that cannot be read has no FPD.
 */
public final class VtdFaultProcessingDisable {

    private static final int PASID_TABLE_SHIFT = 6;
    private static final long FPD = 1L << 1;

    /** Whether the fault with scalable-mode reason {@code reason} is suppressed for this request. */
    public static boolean suppresses(UnitContext unit, DeviceInfo device, int pasid, int reason) {
        if (!qualified(reason)) {
            return false;
        }
        try {
            return fpdSet(unit, device, pasid);
        } catch (IommuException e) {
            return false;
        }
    }

    /** Whether FPD can suppress a fault with this reason. */
    static boolean qualified(int reason) {
        switch (reason) {
            case 0x30: case 0x31: case 0x32: case 0x33: // RTA.x
            case VtdScalableFaultReason.SRT_ACCESS:
            case VtdScalableFaultReason.SRT_NOT_PRESENT:
            case VtdScalableFaultReason.SRT_RESERVED:
            case VtdScalableFaultReason.SCT_ACCESS:
            case VtdScalableFaultReason.SPD_ACCESS:
            case VtdScalableFaultReason.SPT_ACCESS:
                return false;
            default:
                return true;
        }
    }

    private static boolean fpdSet(UnitContext unit, DeviceInfo device, int pasid) {
        long rtaddr = unit.registers().read64(VtdRegisterOffsets.LATCHED_ROOT_TABLE);
        if (((rtaddr >>> 10) & 3) != 1 || device.sourceId() > 0xFFFF) {
            return false;
        }
        PhysicalMemory memory = unit.memory();
        int bus = (device.sourceId() >>> 8) & 0xFF;
        int devfn = device.sourceId() & 0xFF;
        long rootAddress = (rtaddr & ~0xFFFL) + (long) bus * VtdRootEntry.SIZE;
        VtdRootEntry root = new VtdRootEntry(memory.read64(rootAddress), memory.read64(rootAddress + 8));
        if (!root.present(devfn)) {
            return false;
        }
        long contextAddress = root.contextTablePointer(devfn) + (long) (devfn & 0x7F) * VtdContextEntry.SIZE;
        VtdContextEntry context = new VtdContextEntry(memory.read64(contextAddress), memory.read64(contextAddress + 8),
                memory.read64(contextAddress + 16), memory.read64(contextAddress + 24));
        if (context.faultProcessingDisable()) {
            return true;
        }
        if (!context.present()) {
            return false;
        }
        int effective = pasid == DeviceInfo.NO_PASID ? context.ridPasid() : pasid;
        if (effective < 0 || (effective >>> PASID_TABLE_SHIFT) >= context.pasidDirectoryEntries()) {
            return false;
        }
        VtdPasidDirectoryEntry directory = new VtdPasidDirectoryEntry(memory.read64(
                context.pasidDirectoryPointer() + (long) (effective >>> PASID_TABLE_SHIFT) * VtdPasidDirectoryEntry.SIZE));
        if (directory.faultProcessingDisable()) {
            return true;
        }
        if (!directory.present()) {
            return false;
        }
        long entry = directory.pasidTablePointer()
                + (long) (effective & ((1 << PASID_TABLE_SHIFT) - 1)) * VtdPasidEntry.SIZE;
        return (memory.read64(entry) & FPD) != 0;
    }

    private VtdFaultProcessingDisable() {
    }
}
