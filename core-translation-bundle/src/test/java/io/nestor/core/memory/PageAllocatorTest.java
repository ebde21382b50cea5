package io.nestor.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PageAllocatorTest {
    private final SparsePhysicalMemory mem = new SparsePhysicalMemory(40);

    @Test
    void pagesAreAlignedDistinctZeroedAndCounted() {
        PageAllocator alloc = new PageAllocator(mem, 0x100_0000, 16 * 0x4000, 14);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            long p = alloc.allocate();
            assertEquals(0, p & 0x3FFF);
            assertTrue(p >= 0x100_0000 && p < 0x100_0000 + 16 * 0x4000);
            assertTrue(seen.add(p));
            mem.write64(p + 0x3FF8, 0xDEAD);
        }
        assertEquals(16, alloc.livePages());
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, alloc::allocate).errno());
        long victim = seen.iterator().next();
        alloc.free(victim);
        assertFalse(alloc.isLive(victim));
        assertEquals(15, alloc.livePages());
        long again = alloc.allocate();
        assertEquals(victim, again);
        assertEquals(0, mem.read64(again + 0x3FF8), "reused page must be zeroed");
    }

    @Test
    void freeRejectsDoubleFreesAndForeignPages() {
        PageAllocator alloc = new PageAllocator(mem, 0x10_0000, 0x10_000, 12);
        long p = alloc.allocate();
        alloc.free(p);
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> alloc.free(p)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> alloc.free(0x20_0000)).errno());
        long q = alloc.allocate();
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> alloc.free(q + 8)).errno());
        assertEquals(1, alloc.livePages());
    }

    @Test
    void contiguousPagesAreAlignedToTheirSpan() {
        PageAllocator alloc = new PageAllocator(mem, 0x10_0000, 0x10_0000, 12);
        long single = alloc.allocate();
        long pair = alloc.allocateContiguous(4);
        assertEquals(0, pair & 0x3FFF);
        assertTrue(pair > single);
        assertEquals(5, alloc.livePages());
        // the pages skipped for alignment are handed out later, not lost
        Set<Long> rest = new HashSet<>();
        for (int i = 0; i < 256 - 5; i++) {
            rest.add(alloc.allocate());
        }
        assertEquals(256 - 5, rest.size());
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, alloc::allocate).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> alloc.allocateContiguous(3)).errno());
    }

    @Test
    void rejectsBadWindows() {
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> new PageAllocator(mem, 0x1800, 0x10000, 12)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> new PageAllocator(mem, 0x1000, 0x10000, 13 + 4)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> new PageAllocator(mem, (1L << 40) - 0x1000, 0x2000, 12)).errno());
    }
}
