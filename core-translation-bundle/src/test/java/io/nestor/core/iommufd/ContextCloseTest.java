package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.IommufdFixture.RW;
import static io.nestor.core.iommufd.IommufdFixture.RW_FIXED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.session.MemoryRegion;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Closing a context with objects in every state gives back every page, pin and id. */
class ContextCloseTest {
    private static final long VA = 0x10_0000_0000L;
    private static final long PA = 0x1_0000_0000L;

    /** Stands for a DEVICE / VIOMMU-like object that depends on an HWPT. */
    private static final class Dependent extends IommufdObject {
        private final ObjectTable table;
        private final IommufdObject on;

        Dependent(ObjectType type, ObjectTable table, IommufdObject on) {
            super(type);
            this.table = table;
            this.on = on;
        }

        @Override
        protected void destroy() {
            table.dropUser(on);
        }
    }

    @Test
    void closeFreesEveryPagePinAndObjectLeavesFirst() {
        IommufdFixture fx = new IommufdFixture();
        MemoryRegion ram = fx.region(VA, 1L << 24, PA, true);
        MemoryRegion rom = fx.region(VA + (1L << 24), 1L << 20, PA + (1L << 24), false);
        int empty = fx.ioas();
        int plain = fx.ioas();
        fx.map(plain, RW_FIXED, VA + 1, 0x10, 0x1001);                 // byte-granular, no domain
        int mirrored = fx.ioas();
        long big = fx.map(mirrored, RW, VA, 0x200000, 0);
        int h1 = fx.hwpt(mirrored);
        fx.hwpt(mirrored);
        fx.context.ioas().mapFile(new IoasMapFileCommand(IoasMapFlags.READABLE, mirrored, rom.id(), 0, 0x3000, 0));
        int copies = fx.ioas();
        fx.hwpt(copies);
        fx.context.ioas().copy(new IoasCopyCommand(RW, copies, mirrored, 0x100000, 0, big + 0x1000));
        int smallPages = fx.ioas();
        fx.context.option(new OptionCommand(IommufdOption.HUGE_PAGES, IommufdOption.OP_SET, 0, smallPages, 0));
        fx.hwpt(smallPages);
        fx.map(smallPages, RW, VA, 0x400000, 0);
        ObjectTable table = fx.context.objects();
        HwptPaging hwpt1;
        try (ObjectRef<HwptPaging> ref = table.get(h1, ObjectType.HWPT_PAGING, HwptPaging.class)) {
            hwpt1 = ref.get();
        }
        Dependent device = new Dependent(ObjectType.DEVICE, table, hwpt1);
        table.reserve(device);
        table.addUser(hwpt1);
        table.publish(device);

        assertTrue(fx.allocator.livePages() > 8);
        assertTrue(fx.regions.totalPins() > 0);
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> fx.regions.destroyRegion(ram.id()))
                .errno());
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> fx.context.destroy(h1)).errno());

        java.util.Map<IommufdObject, IommufdObject> hwptOnIoas = new java.util.HashMap<>();
        for (IommufdObject o : table.objects()) {
            if (o instanceof HwptPaging p) {
                hwptOnIoas.put(p, p.ioas());
            }
        }
        assertEquals(4, hwptOnIoas.size());
        List<IommufdObject> order = fx.context.closeAndReport();
        assertEquals(10, order.size());
        assertTrue(order.indexOf(device) < order.indexOf(hwpt1), "the dependent device before its HWPT");
        hwptOnIoas.forEach((hwpt, ioas) -> assertTrue(order.indexOf(hwpt) < order.indexOf(ioas),
                hwpt + " before " + ioas + ": " + order));
        assertEquals(0, fx.allocator.livePages(), "every domain table page is back");
        assertEquals(0, fx.regions.totalPins(), "every pin is back");
        fx.regions.destroyRegion(ram.id());
        fx.regions.destroyRegion(rom.id());
        assertTrue(fx.context.isClosed());
        assertEquals(Errno.EBADF, assertThrows(IommuException.class, () -> fx.context.ioas()).errno());
        assertEquals(Errno.EBADF, assertThrows(IommuException.class, () -> fx.context.destroy(empty)).errno());
        assertEquals(List.of(), fx.context.closeAndReport(), "closing twice is harmless");
    }

    @Test
    void destroyingAnIoasUnmapsEverythingAndGivesThePinsBack() {
        IommufdFixture fx = new IommufdFixture();
        MemoryRegion ram = fx.region(VA, 1L << 24, PA, true);
        int ioas = fx.ioas();
        fx.map(ioas, RW, VA, 0x10000, 0);
        fx.map(ioas, RW, VA + 0x20000, 0x10000, 0);
        assertEquals(2, fx.regions.pinCount(ram.id()));
        fx.context.destroy(ioas);
        assertEquals(0, fx.regions.pinCount(ram.id()));
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> fx.table(ioas)).errno());
        fx.regions.destroyRegion(ram.id());
    }

    @Test
    void destroyedIdsAreReusedLowestFirstAcrossKinds() {
        IommufdFixture fx = new IommufdFixture();
        int a = fx.ioas();
        int b = fx.ioas();
        int h = fx.hwpt(b);
        assertEquals(List.of(1, 2, 3), List.of(a, b, h));
        fx.context.destroy(a);
        assertEquals(1, fx.hwpt(b), "the freed id 1 goes to the next object of any kind");
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> fx.context.destroy(a + 10)).errno());
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> fx.context.destroy(b)).errno());
        fx.context.destroy(h);
        fx.context.destroy(1);
        fx.context.destroy(b);
        assertTrue(fx.context.objects().objects().isEmpty());
        assertEquals(0, fx.allocator.livePages());
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class, () -> fx.context.ioas().alloc(1))
                .errno());
        assertTrue(fx.context.objects().objects().isEmpty(), "a refused IOAS_ALLOC takes no id");
    }

    @Test
    void aHalfBuiltHwptIsInvisibleToLookupAndDestroy() {
        IommufdFixture fx = new IommufdFixture();
        int ioas = fx.ioas();
        int expectedId = ioas + 1;
        int[] seen = new int[2];
        int id = HwptPaging.allocate(fx.context, ioas, () -> {
            // inside creation: the id is taken but not visible
            seen[0] = assertThrows(IommuException.class, () -> fx.context.objects().get(expectedId,
                    ObjectType.HWPT_PAGING, HwptPaging.class)).errno().number();
            seen[1] = assertThrows(IommuException.class, () -> fx.context.destroy(expectedId)).errno().number();
            assertEquals(expectedId + 1, fx.ioas(), "the reserved id is not handed out twice");
            return fx.newDomain();
        });
        assertEquals(expectedId, id);
        assertEquals(Errno.ENOENT.number(), seen[0]);
        assertEquals(Errno.ENOENT.number(), seen[1]);
        fx.context.destroy(id);
    }

    @Test
    void idExhaustionIsEbusyAndLeavesNoHalfBuiltHwpt() {
        IommufdFixture fx = new IommufdFixture(io.nestor.core.testformat.TestPageTableFormat.granule4k(),
                ContextOptions.defaults().withIdLimit(2), 0x100000);
        int ioas = fx.ioas();
        fx.hwpt(ioas);
        IommuException e = assertThrows(IommuException.class, () -> fx.hwpt(ioas));
        assertEquals(Errno.EBUSY, e.errno());
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> fx.ioas()).errno());
        assertEquals(2, fx.context.objects().users(ioas), "the table and the one HWPT");
        assertEquals(1, fx.table(ioas).domains().size());
    }
}
