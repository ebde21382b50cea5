package io.nestor.core.ioasid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** IOASID_NOTIFY_FREE: users of a PASID learn that its owner freed it, and can let it go. */
class IoasidFreeListenerTest {

    @Test
    void onlyAFreeWithOtherUsersIsAnnouncedAndAUserPuttingReleasesIt() {
        IoasidSpace space = new IoasidSpace(8);
        IoasidSet vm = space.openSet("vm", 8);
        List<String> told = new ArrayList<>();
        // a device binding that holds PASIDs and unbinds when told
        space.addFreeListener((owner, pasid) -> {
            told.add(owner.tag() + ":" + pasid);
            owner.put(pasid);
        });
        int unbound = vm.allocate(1, 255);
        int bound = vm.allocate(1, 255);
        vm.get(bound);
        vm.free(unbound);
        assertEquals(List.of(), told, "nobody else held it: released without a notification");
        vm.free(bound);
        assertEquals(List.of("vm:" + bound), told);
        assertFalse(space.isAllocated(bound), "the user's put in the notification released it");
        assertEquals(0, vm.count());
    }

    @Test
    void closeAnnouncesEveryReferencedPasidAndAListenerThatKeepsItLeavesItPending() {
        IoasidSpace space = new IoasidSpace(8);
        IoasidSet vm = space.openSet("vm", 8);
        List<Integer> told = new ArrayList<>();
        IoasidFreeListener keep = (owner, pasid) -> told.add(pasid);
        space.addFreeListener(keep);
        int a = vm.allocate(1, 255);
        int b = vm.allocate(1, 255);
        vm.allocate(1, 255);
        vm.get(a);
        vm.get(b);
        vm.close();
        assertEquals(List.of(a, b), told);
        assertTrue(space.isAllocated(a) && space.isAllocated(b));
        assertEquals(2, space.allocatedCount());
        space.removeFreeListener(keep);
        vm.put(a);
        vm.put(b);
        assertEquals(0, space.allocatedCount());
        assertTrue(space.set("vm").isEmpty(), "the closed set is released with its last PASID");
    }
}
