package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.driver.vtd.hw.VtdContextEntry;
import io.nestor.driver.vtd.hw.VtdPasidDirectoryEntry;
import io.nestor.driver.vtd.hw.VtdPasidEntry;
import io.nestor.driver.vtd.hw.VtdRootEntry;
import java.util.List;

/**
 * A device's scalable-mode structures, found and created in memory the way Linux creates them
 * (drivers/iommu/intel/pasid.c): the context table a root entry points to (one page per bus half,
 * {@code iommu_context_addr}), the device's context entry pointing at its PASID directory
 * ({@code intel_pasid_alloc_table}, {@code context_entry_set_pasid_table}), and PASID tables added
 * to the directory one page at a time as PASIDs are first used ({@code intel_pasid_get_entry}).
 *
 * <p>Directory size as Linux sizes it: {@code max_pasid} = min(device PASID space, unit PASID space)
 * when both support PASID, else 0; the directory takes {@code max(1, max_pasid / 64 * 8 bytes)}
 * rounded up to a power-of-two number of pages, which then covers {@code pages * 32768} PASIDs and
 * gives PDTS = log2(entries) - 7. The context entry gets RID_PASID = 0, DTE when the unit has a
 * device TLB (ECAP.DT) and the device ATS, PASIDE when PASID is supported on both sides, PRE when
 * additionally the unit reports PRS and PDS and the device PRI, FPD clear and P; with Caching Mode a
 * device-selective context-cache and a domain-selective IOTLB invalidation for DID 0 follow
 * ({@code device_pasid_table_setup}). These structures belong to the device, as the kernel's live
 * from probe to release; detaching a domain does not free them.
 */
public final class VtdDeviceTables {

    /** Linux {@code IOMMU_NO_PASID}: the PASID requests without one use (the context's RID_PASID). */
    public static final int RID_PASID = 0;

    private static final int PASIDS_PER_TABLE = 64;
    private static final int PAGE = 4096;

    /** A located context entry. */
    public record Context(long address, VtdContextEntry entry) {
    }

    /** The address of the device's context entry, or -1 when its context table does not exist. */
    public static long contextAddress(UnitContext unit, long rootTable, int sourceId) {
        PhysicalMemory memory = unit.memory();
        int bus = (sourceId >>> 8) & 0xFF;
        int devfn = sourceId & 0xFF;
        long rootEntry = rootTable + (long) bus * VtdRootEntry.SIZE;
        VtdRootEntry root = new VtdRootEntry(memory.read64(rootEntry), memory.read64(rootEntry + 8));
        if (!root.present(devfn)) {
            return -1;
        }
        return root.contextTablePointer(devfn) + (long) (devfn & 0x7F) * VtdContextEntry.SIZE;
    }

    /** Reads the context entry at {@code address}. */
    public static VtdContextEntry readContext(PhysicalMemory memory, long address) {
        return new VtdContextEntry(memory.read64(address), memory.read64(address + 8), memory.read64(address + 16),
                memory.read64(address + 24));
    }

    /** The device's present context entry, or {@code null} when it has none yet. */
    public static Context findContext(UnitContext unit, long rootTable, int sourceId) {
        long address = contextAddress(unit, rootTable, sourceId);
        if (address < 0) {
            return null;
        }
        VtdContextEntry entry = readContext(unit.memory(), address);
        return entry.present() ? new Context(address, entry) : null;
    }

    /** The device's context entry, created with its PASID directory when absent. */
    public static Context ensureContext(UnitContext unit, VtdUnitCapabilities caps, long rootTable, DeviceInfo device) {
        Context existing = findContext(unit, rootTable, device.sourceId());
        if (existing != null) {
            return existing;
        }
        PhysicalMemory memory = unit.memory();
        int sid = device.sourceId();
        int bus = (sid >>> 8) & 0xFF;
        int devfn = sid & 0xFF;
        long rootEntry = rootTable + (long) bus * VtdRootEntry.SIZE + ((devfn & 0x80) == 0 ? 0 : 8);
        long half = memory.read64(rootEntry);
        if ((half & 1) == 0) {
            long table = unit.allocatePages(1);
            memory.write64(rootEntry, table | 1);
        }
        long address = contextAddress(unit, rootTable, sid);

        int maxPasid = directoryPasids(caps, device);
        int directoryBytes = maxPasid >>> 3;
        int pages = directoryBytes <= PAGE ? 1 : Integer.highestOneBit(directoryBytes - 1) << 1 >>> 12;
        long directory = unit.allocatePages(pages);
        int entries = pages * PAGE / VtdPasidDirectoryEntry.SIZE;
        int pdts = Math.max(0, Integer.numberOfTrailingZeros(entries) - 7);

        boolean pasid = maxPasid > 0;
        boolean ats = caps.deviceTlb() && device.ats();
        boolean pri = ats && pasid && caps.pageRequests() && caps.pageRequestDrain() && device.pri();
        long q0 = directory | ((long) pdts << 9) | (ats ? 1L << 2 : 0) | (pasid ? 1L << 3 : 0) | (pri ? 1L << 4 : 0)
                | 1L;
        memory.write64(address + 8, RID_PASID);
        memory.write64(address + 16, 0);
        memory.write64(address + 24, 0);
        memory.write64(address, q0);
        if (caps.cachingMode()) {
            VtdQueuedInvalidation.submitSync(unit,
                    List.of(VtdQiDescriptor.contextDevice(0, sid), VtdQiDescriptor.iotlbDomain(0)));
        }
        return new Context(address, readContext(memory, address));
    }

    /**
     * The PASIDs the device's directory is sized for: min(device, unit) when both support PASID,
     * else 0 (Linux {@code intel_pasid_alloc_table}).
     */
    static int directoryPasids(VtdUnitCapabilities caps, DeviceInfo device) {
        if (!caps.pasidSupported() || !device.pasidCapable()) {
            return 0;
        }
        return Math.min(1 << device.pasidBits(), caps.maxPasids());
    }

    /**
     * The address of the PASID-table entry for {@code pasid} under {@code context}, creating its
     * PASID table when {@code create}; -1 when it does not exist and is not to be created.
     *
     * @throws IommuException ENODEV for a PASID beyond the directory (Linux's {@code intel_pasid_get_entry}
     *     refusal, which its callers turn into ENODEV)
     */
    public static long pasidEntryAddress(UnitContext unit, Context context, int pasid, boolean create) {
        VtdContextEntry ce = context.entry();
        if (pasid < 0 || (pasid >>> 6) >= ce.pasidDirectoryEntries()) {
            throw IommuException.of(Errno.ENODEV, "%s: PASID %d beyond the device's PASID directory of %d entries",
                    unit.name(), pasid, ce.pasidDirectoryEntries());
        }
        PhysicalMemory memory = unit.memory();
        long dirEntry = ce.pasidDirectoryPointer() + (long) (pasid >>> 6) * VtdPasidDirectoryEntry.SIZE;
        VtdPasidDirectoryEntry pde = new VtdPasidDirectoryEntry(memory.read64(dirEntry));
        long table;
        if (pde.present()) {
            table = pde.pasidTablePointer();
        } else if (create) {
            table = unit.allocatePages(1);
            memory.write64(dirEntry, table | 1);
        } else {
            return -1;
        }
        return table + (long) (pasid % PASIDS_PER_TABLE) * VtdPasidEntry.SIZE;
    }

    public static VtdPasidEntry readPasidEntry(PhysicalMemory memory, long address) {
        long[] q = new long[VtdPasidEntry.QWORDS];
        for (int i = 0; i < q.length; i++) {
            q[i] = memory.read64(address + 8L * i);
        }
        return new VtdPasidEntry(q);
    }

    /**
     * Writes a PASID entry with qword 0 (which holds P) last, so that the hardware never sees a
     * present entry with stale upper qwords (Linux sets P last, behind a write barrier).
     */
    public static void writePasidEntry(PhysicalMemory memory, long address, long[] qwords) {
        for (int i = qwords.length - 1; i >= 0; i--) {
            memory.write64(address + 8L * i, qwords[i]);
        }
    }

    private VtdDeviceTables() {
    }
}
