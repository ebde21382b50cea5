package io.nestor.driver.vtd.host;

import io.nestor.api.driver.UnitContext;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.driver.vtd.hw.VtdContextEntry;
import io.nestor.driver.vtd.hw.VtdPasidDirectoryEntry;
import io.nestor.driver.vtd.hw.VtdPasidEntry;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;
import io.nestor.driver.vtd.hw.VtdRootEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds where a DID is in use by reading the unit's structures back from memory: every present
 * PASID-table entry under every present context entry. Linux keeps this as the domain's
 * {@code cache_tags} list (drivers/iommu/intel/cache.c); a stateless driver rebuilds it from the
 * tables, which hold the same facts. Cost is one read per root, context and directory entry, plus
 * 64 per present PASID table: fine for control-path operations such as user invalidation. A
 * paging flush looks for its domain and every nested child at once ({@link #findEach}), one pass.
 */
public final class VtdAttachmentScan {

    /**
     * One PASID entry tagged with the DID.
     *
     * @param sourceId the device's requester id
     * @param pasid the PASID (0 is RID_PASID, the requests without PASID)
     * @param deviceTlb whether the device's context entry enables its device TLB (ATS)
     */
    public record Attachment(int sourceId, int pasid, boolean deviceTlb) {
    }

    public static List<Attachment> find(UnitContext unit, int did) {
        return findEach(unit, new int[] {did}).get(0);
    }

    /**
     * The attachments of each of {@code dids} in one pass over the tables: element {@code i} of the
     * result lists those of {@code dids[i]}, in table order.
     */
    public static List<List<Attachment>> findEach(UnitContext unit, int[] dids) {
        List<List<Attachment>> found = new ArrayList<>(dids.length);
        for (int i = 0; i < dids.length; i++) {
            found.add(new ArrayList<>());
        }
        if (!VtdUnitBringUp.rootTableLatched(unit)) {
            return found;
        }
        PhysicalMemory memory = unit.memory();
        long root = unit.registers().read64(VtdRegisterOffsets.RTADDR) & ~0xFFFL;
        for (int bus = 0; bus < 256; bus++) {
            long re = root + (long) bus * VtdRootEntry.SIZE;
            VtdRootEntry rootEntry = new VtdRootEntry(memory.read64(re), memory.read64(re + 8));
            for (int half = 0; half < 2; half++) {
                int firstDevfn = half * 0x80;
                if (!rootEntry.present(firstDevfn)) {
                    continue;
                }
                long table = rootEntry.contextTablePointer(firstDevfn);
                for (int i = 0; i < 0x80; i++) {
                    VtdContextEntry ce = VtdDeviceTables.readContext(memory, table + (long) i * VtdContextEntry.SIZE);
                    if (ce.present()) {
                        scanDirectory(memory, ce, (bus << 8) | (firstDevfn + i), dids, found);
                    }
                }
            }
        }
        return found;
    }

    private static void scanDirectory(PhysicalMemory memory, VtdContextEntry ce, int sid, int[] dids,
            List<List<Attachment>> found) {
        for (int d = 0; d < ce.pasidDirectoryEntries(); d++) {
            VtdPasidDirectoryEntry pde = new VtdPasidDirectoryEntry(
                    memory.read64(ce.pasidDirectoryPointer() + (long) d * VtdPasidDirectoryEntry.SIZE));
            if (!pde.present()) {
                continue;
            }
            for (int i = 0; i < 64; i++) {
                long address = pde.pasidTablePointer() + (long) i * VtdPasidEntry.SIZE;
                // P (qword 0 bit 0) and DID (qword 1 bits 15:0) only: two reads per entry, not the
                // eight a full VtdPasidEntry takes
                if ((memory.read64(address) & 1) == 0) {
                    continue;
                }
                long entryDid = memory.read64(address + 8) & 0xFFFF;
                for (int k = 0; k < dids.length; k++) {
                    if (entryDid == dids[k]) {
                        found.get(k).add(new Attachment(sid, d * 64 + i, ce.deviceTlbEnable()));
                    }
                }
            }
        }
    }

    private VtdAttachmentScan() {
    }
}
