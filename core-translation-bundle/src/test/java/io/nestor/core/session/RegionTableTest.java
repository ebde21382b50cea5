package io.nestor.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegionTableTest {
    private final RegionTable table = new RegionTable(4096);

    private Errno errno(org.junit.jupiter.api.function.Executable call) {
        return assertThrows(IommuException.class, call).errno();
    }

    @Test
    void regionsMustBeAlignedNonEmptyAndDisjoint() {
        assertEquals(Errno.EINVAL, errno(() -> table.createRegion(0x1000, 0, 0x1000, true)));
        assertEquals(Errno.EINVAL, errno(() -> table.createRegion(0x1800, 0x1000, 0x1000, true)));
        assertEquals(Errno.EINVAL, errno(() -> table.createRegion(-0x1000L, 0x2000, 0x1000, true)));
        MemoryRegion r = table.createRegion(0x10000, 0x4000, 0x80000, true);
        assertEquals(1, r.id());
        assertEquals(Errno.EEXIST, errno(() -> table.createRegion(0xf000, 0x2000, 0x90000, true)));
        assertEquals(Errno.EEXIST, errno(() -> table.createRegion(0x13000, 0x1000, 0x90000, true)));
        assertEquals(2, table.createRegion(0x14000, 0x1000, 0x90000, true).id());
        assertEquals(2, table.regions().size());
    }

    @Test
    void pinsSpanAdjacentRegionsAndBlockDestroy() {
        MemoryRegion a = table.createRegion(0x10000, 0x2000, 0x80000, true);
        MemoryRegion b = table.createRegion(0x12000, 0x2000, 0x40000, true);
        PinnedRange pin = table.pinVirtual(0x11800, 0x1000, true);
        assertEquals(List.of(new PhysicalRun(0, 0x81800, 0x800), new PhysicalRun(0x800, 0x40000, 0x800)),
                pin.runs());
        assertEquals(1, table.pinCount(a.id()));
        assertEquals(1, table.pinCount(b.id()));
        assertEquals(Errno.EBUSY, errno(() -> table.destroyRegion(b.id())));
        pin.release();
        assertThrows(IllegalStateException.class, pin::release);
        table.destroyRegion(b.id());
        assertEquals(Errno.ENOENT, errno(() -> table.destroyRegion(b.id())));
        assertEquals(Errno.EFAULT, errno(() -> table.pinVirtual(0x11800, 0x1000, false)), "b is gone");
    }

    @Test
    void pinErrnos() {
        MemoryRegion ro = table.createRegion(0x10000, 0x2000, 0x80000, false);
        assertEquals(Errno.EFAULT, errno(() -> table.pinVirtual(0x10000, 0x1000, true)));
        assertEquals(Errno.EFAULT, errno(() -> table.pinVirtual(0x20000, 0x1000, false)));
        assertEquals(Errno.EBADF, errno(() -> table.pinRegion(9, 0, 0x1000, false)));
        assertEquals(Errno.EINVAL, errno(() -> table.pinRegion(ro.id(), 0x1000, 0x2000, false)));
        assertEquals(Errno.EPERM, errno(() -> table.pinRegion(ro.id(), 0, 0x1000, true)));
        assertEquals(0, table.totalPins());
        PinnedRange p = table.pinRegion(ro.id(), 0x1000, 0x1000, false);
        assertEquals(List.of(new PhysicalRun(0, 0x81000, 0x1000)), p.runs());
        assertEquals(1, table.totalPins());
        p.release();
        assertEquals(0, table.totalPins());
    }
}
