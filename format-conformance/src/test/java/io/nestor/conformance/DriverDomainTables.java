package io.nestor.conformance;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;
import io.nestor.core.pagetable.TableGeometry;
import io.nestor.core.unit.IommuUnit;

/**
 * Test helper: writes 4 KiB mappings straight into the tables under a paging domain's root, the
 * way a host driver's map would, allocating missing intermediate tables from the unit's structure
 * pages. Invalidation is the test's business: the point of several tests is what stays stale.
 */
final class DriverDomainTables {
    private final PhysicalMemory memory;
    private final IommuUnit unit;
    private final DomainDescriptor domain;
    private final PageTableFormat format;

    DriverDomainTables(PhysicalMemory memory, IommuUnit unit, DomainDescriptor domain, PageTableFormat format) {
        this.memory = memory;
        this.unit = unit;
        this.domain = domain;
        this.format = format;
    }

    /** Maps the 4 KiB page at {@code iova} to {@code pa}, readable and writable. */
    void map(long iova, long pa) {
        long table = domain.rootAddress(); // concatenated roots are indexed as one wide table
        for (int level = format.levels() - 1; level > 0; level--) {
            long entry = table + 8L * TableGeometry.index(format, level, iova);
            long d = memory.read64(entry);
            if (format.kind(d, level) != PageTableFormat.KIND_TABLE) {
                d = format.encodeTable(unit.allocatePages(1), level);
                memory.write64(entry, d);
            }
            table = format.tableAddress(d, level);
        }
        memory.write64(table + 8L * TableGeometry.index(format, 0, iova),
                format.encodeLeaf(pa, 0, Permission.READ | Permission.WRITE));
    }
}
