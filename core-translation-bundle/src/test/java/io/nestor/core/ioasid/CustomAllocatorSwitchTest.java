package io.nestor.core.ioasid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.ioasid.IoasidAllocator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The switch-over between the default allocator and custom allocators registered as services,
 * through the bind / unbind glue a DS component calls — no framework needed.
 */
class CustomAllocatorSwitchTest {

    @Test
    void registeredAllocatorTakesOverAndOnLeavingItsPasidsStayValidAndFreeable() {
        IoasidSpace space = new IoasidSpace(10); // 1..1023
        IoasidAllocatorTracker tracker = new IoasidAllocatorTracker(space);
        IoasidSet vm = space.openSet("vm1", 100);

        assertEquals(1, vm.allocate(1, 1023), "default allocator: lowest free");

        HostAllocator host = new HostAllocator(1023);
        tracker.bind(host);
        assertSame(host, space.activeAllocator().orElseThrow());
        int h1 = vm.allocate(1, 1023);
        int h2 = vm.allocate(1, 500);
        assertEquals(1023, h1, "the host chose (highest free)");
        assertEquals(500, h2);
        assertEquals(List.of("alloc 1..1023 vm1", "alloc 1..500 vm1"), host.calls);

        vm.free(h2);
        assertFalse(host.holds(h2), "a freed PASID goes back to the allocator that handed it out");
        assertEquals("free 500 vm1", host.calls.get(2));

        tracker.unbind(host);
        assertEquals(Optional.empty(), space.activeAllocator());
        assertTrue(space.isAllocated(h1), "the leaving allocator's PASID stays allocated");
        vm.find(h1);
        vm.get(h1);
        assertFalse(vm.put(h1));
        assertEquals(2, vm.allocate(1, 1023), "back to the default allocator");
        assertEquals(1023 - 1, vm.allocate(1022, 1023), "the default allocator skips the host's live PASID 1023");

        int callsBefore = host.calls.size();
        vm.free(h1);
        assertFalse(space.isAllocated(h1), "the old PASID is freeable after its allocator left");
        assertEquals(callsBefore, host.calls.size(), "a departed allocator is not called");
        assertEquals(1023, vm.allocate(1023, 1023), "and reusable");
    }

    @Test
    void allocatorArrivingWhileDefaultPasidsAreLiveAdoptsCollisionsInsteadOfDuplicating() {
        IoasidSpace space = new IoasidSpace(4); // 1..15
        IoasidSet a = space.openSet("a", 7);
        IoasidSet b = space.openSet("b", 7);
        for (int i = 0; i < 3; i++) {
            a.allocate(13, 15); // default: 13, 14, 15
        }
        HostAllocator host = new HostAllocator(15);
        // The kernel refused this registration with EAGAIN; the single record makes it safe here.
        space.registerAllocator(host);
        int p = b.allocate(1, 15);
        assertEquals(12, p, "15, 14 and 13 were live: adopted by the host, which was asked again");
        assertTrue(host.holds(15) && host.holds(14) && host.holds(13));
        assertEquals("a", space.ownerTag(15).orElseThrow(), "adoption does not change the owner");
        a.free(14);
        assertFalse(host.holds(14), "the adopting allocator gets the free when the owner frees");
        assertEquals("free 14 a", host.calls.get(host.calls.size() - 1));
    }

    @Test
    void nextRegisteredAllocatorTakesOverInRegistrationOrder() {
        IoasidSpace space = new IoasidSpace(8);
        IoasidAllocatorTracker tracker = new IoasidAllocatorTracker(space);
        IoasidSet s = space.openSet("s", 10);
        HostAllocator first = new HostAllocator(200);
        HostAllocator second = new HostAllocator(100);
        tracker.bind(first);
        tracker.bind(second);
        assertEquals(200, s.allocate(1, 255));
        assertTrue(second.calls.isEmpty(), "only the first registered allocator is active");
        tracker.unbind(first);
        assertSame(second, space.activeAllocator().orElseThrow());
        assertEquals(100, s.allocate(1, 255));
        s.free(200);
        assertEquals(List.of("alloc 1..255 s"), first.calls, "the departed first allocator gets no free");
        assertThrows(IommuException.class, () -> space.registerAllocator(second));
        assertEquals(Errno.EEXIST, assertThrows(IommuException.class, () -> space.registerAllocator(second)).errno());
        assertFalse(space.unregisterAllocator(first), "unregistering an unknown allocator does nothing");
    }

    @Test
    void allocatorFailuresAreEnospcAndLeaveNothingBehind() {
        IoasidSpace space = new IoasidSpace(8);
        IoasidSet s = space.openSet("s", 10);
        HostAllocator exhausted = new HostAllocator(255);
        for (int p = 1; p <= 255; p++) {
            exhausted.taken(p);
        }
        space.registerAllocator(exhausted);
        IommuException e = assertThrows(IommuException.class, () -> s.allocate(1, 255));
        assertEquals(Errno.ENOSPC, e.errno());
        assertEquals(0, s.count());
        assertEquals(0, space.allocatedCount());
        space.unregisterAllocator(exhausted);

        IoasidAllocator crashing = new IoasidAllocator() {
            @Override
            public int alloc(int min, int max, String contextTag) {
                throw new IllegalStateException("host link down");
            }

            @Override
            public void free(int pasid, String contextTag) {
            }
        };
        space.registerAllocator(crashing);
        assertEquals(Errno.ENOSPC, assertThrows(IommuException.class, () -> s.allocate(1, 255)).errno());
        space.unregisterAllocator(crashing);

        int[] freed = {-1};
        IoasidAllocator outOfRange = new IoasidAllocator() {
            @Override
            public int alloc(int min, int max, String contextTag) {
                return max + 1;
            }

            @Override
            public void free(int pasid, String contextTag) {
                freed[0] = pasid;
            }
        };
        space.registerAllocator(outOfRange);
        assertEquals(Errno.ENOSPC, assertThrows(IommuException.class, () -> s.allocate(1, 50)).errno());
        assertEquals(51, freed[0], "an out-of-range answer is given back to the allocator");
        assertEquals(0, space.allocatedCount());
    }

    @Test
    void allocatorReturningItsOwnLivePasidIsRefusedWithoutFreeingIt() {
        IoasidSpace space = new IoasidSpace(8);
        IoasidSet s = space.openSet("s", 10);
        int[] frees = {0};
        IoasidAllocator stuck = new IoasidAllocator() {
            @Override
            public int alloc(int min, int max, String contextTag) {
                return 7;
            }

            @Override
            public void free(int pasid, String contextTag) {
                frees[0]++;
            }
        };
        space.registerAllocator(stuck);
        assertEquals(7, s.allocate(1, 255));
        assertEquals(Errno.ENOSPC, assertThrows(IommuException.class, () -> s.allocate(1, 255)).errno());
        assertEquals(0, frees[0], "PASID 7 is still in use: not given back");
        assertTrue(space.isAllocated(7));
        assertEquals(1, s.count());
    }

    @Test
    void trackerMovesItsAllocatorsToANewSpace() {
        IoasidSpace first = new IoasidSpace(8);
        IoasidAllocatorTracker tracker = new IoasidAllocatorTracker();
        HostAllocator host = new HostAllocator(255);
        tracker.bind(host); // before any space exists
        tracker.useSpace(first);
        assertSame(host, first.activeAllocator().orElseThrow());
        IoasidSet s = first.openSet("s", 2);
        assertEquals(255, s.allocate(1, 255));

        IoasidSpace second = new IoasidSpace(8);
        tracker.useSpace(second);
        assertEquals(Optional.empty(), first.activeAllocator());
        assertSame(host, second.activeAllocator().orElseThrow());
        assertTrue(first.isAllocated(255), "the old space's PASIDs stay valid there");
        assertEquals(List.of(host), tracker.bound());
        tracker.unbind(host);
        assertEquals(List.of(), tracker.bound());
        assertEquals(Optional.empty(), second.activeAllocator());
    }
}
