package io.nestor.core.pagetable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.testformat.TestPageTableFormat;
import io.nestor.core.walk.TranslationWalker;
import io.nestor.core.walk.WalkResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A builder under a root it does not own (a driver's domain root): the tables below come from the
 * builder's allocator, the root is never freed nor retired, and destroy leaves it empty.
 */
class PageTableBuilderExternalRootTest {
    private static final int RW = Permission.READ | Permission.WRITE;
    private static final long M2 = 1L << 21;

    private final TestPageTableFormat format = TestPageTableFormat.granule4k();
    private final SparsePhysicalMemory memory = new SparsePhysicalMemory(48);
    /** The "driver's" structure pages, where the root lives. */
    private final PageAllocator driverPages = new PageAllocator(memory, 0x8000_0000L, 0x10_0000L, 12);
    /** The core's pages for the tables below the root. */
    private final PageAllocator tablePages = new PageAllocator(memory, 0x4000_0000L, 0x100_0000L, 12);
    private final List<Long> retired = new ArrayList<>();

    private long translate(long root, long iova) {
        WalkResult r = new WalkResult();
        TranslationConfig c = new TranslationConfig(TranslationMode.STAGE2, null,
                new StageConfig(format, root, false), 1, -1);
        return new TranslationWalker(memory).translate(c, iova, Access.READ, r) ? r.outputAddress() : -1;
    }

    @Test
    void tablesComeFromTheAllocatorAndTheRootStaysTheOwners() {
        long root = driverPages.allocate();
        PageTableBuilder b = PageTableBuilder.underRoot(format, tablePages, -1L, retired::add, root);
        assertTrue(b.hasExternalRoot());
        assertEquals(root, b.rootAddress());
        assertEquals(0, tablePages.livePages());

        b.map(0x4000_0000L, 0x9_0000_0000L, 0x2000, RW);
        b.map(0x80_0000_0000L, 0xA_0000_0000L, M2, RW);
        assertEquals(0x9_0000_1234L, translate(root, 0x4000_1234L));
        assertEquals(0xA_0000_0010L, translate(root, 0x80_0000_0010L));
        long tables = tablePages.livePages();
        assertTrue(tables >= 3, "intermediate tables from the core allocator: " + tables);
        assertEquals(1, driverPages.livePages(), "only the root in the driver's pages");

        assertEquals(0x2000 + M2, b.destroy());
        assertEquals(tables, retired.size(), "every table below the root retired");
        assertFalse(retired.contains(root), "the external root is never retired");
        assertTrue(driverPages.isLive(root));
        for (long off = 0; off < 4096; off += 8) {
            assertEquals(0L, memory.read64(root + off), "root left empty at offset " + off);
        }
        assertEquals(-1, translate(root, 0x4000_1234L));
        assertThrows(IommuException.class, () -> b.map(0, 0, 0x1000, RW), "destroyed builder");
    }

    @Test
    void unmapRetiresEmptiedTablesButNeverTheRoot() {
        long root = driverPages.allocate();
        PageTableBuilder b = PageTableBuilder.underRoot(format, tablePages, -1L, retired::add, root);
        b.map(0x1000, 0x5000_0000L, 0x1000, RW);
        long live = tablePages.livePages();
        assertEquals(0x1000, b.unmap(0, 1L << 39));
        assertEquals(live, retired.size(), "the whole chain of tables below the root went");
        assertFalse(retired.contains(root));
        assertEquals(-1, translate(root, 0x1000));
    }

    @Test
    void refusesAnUnalignedOrNonEmptyRoot() {
        long root = driverPages.allocate();
        IommuException e = assertThrows(IommuException.class,
                () -> PageTableBuilder.underRoot(format, tablePages, -1L, null, root + 8));
        assertEquals(Errno.EINVAL, e.errno());
        memory.write64(root + 0x10, 0x1234_5003L);
        e = assertThrows(IommuException.class, () -> PageTableBuilder.underRoot(format, tablePages, -1L, null, root));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(0, tablePages.livePages(), "a refused root allocates nothing");
    }

    @Test
    void aFailedMapUnderAnExternalRootLeavesNoTable() {
        long root = driverPages.allocate();
        PageAllocator tiny = new PageAllocator(memory, 0x4000_0000L, 0x2000, 12); // two tables only
        PageTableBuilder b = PageTableBuilder.underRoot(format, tiny, -1L, null, root);
        IommuException e = assertThrows(IommuException.class, () -> b.map(0x1000, 0x5000_0000L, 0x1000, RW));
        assertEquals(Errno.ENOMEM, e.errno());
        assertEquals(0, tiny.livePages());
        for (long off = 0; off < 4096; off += 8) {
            assertEquals(0L, memory.read64(root + off));
        }
    }

    @Test
    void anAdoptedRootKeepsTheTreeAndEditsItWithTheNewFormat() {
        long root = driverPages.allocate();
        PageTableBuilder first = PageTableBuilder.underRoot(format, tablePages, -1L, retired::add, root);
        first.map(0x4000_0000L, 0x9_0000_0000L, 0x2000, RW);
        TestPageTableFormat same = TestPageTableFormat.granule4k(); // another instance, as a new driver gives
        PageTableBuilder adopted = PageTableBuilder.adoptRoot(same, tablePages, -1L, retired::add, root);
        assertEquals(0x9_0000_1000L, translate(root, 0x4000_1000L), "the tree is untouched");
        assertEquals(0x1000, adopted.unmap(0x4000_1000L, 0x1000));
        adopted.map(0x4000_1000L, 0xB_0000_0000L, 0x1000, RW);
        assertEquals(0xB_0000_0000L, translate(root, 0x4000_1000L));
        long live = tablePages.livePages();
        assertEquals(0x2000, adopted.destroy());
        assertEquals(live, retired.size());
        assertTrue(driverPages.isLive(root));
    }
}
