package io.nestor.core.ioasid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Allocation, ownership, quota, free-pending and range semantics of one space with the default allocator. */
class IoasidSetTest {

    private static Errno errno(Executable call) {
        return assertThrows(IommuException.class, call).errno();
    }

    @Test
    void allocatesLowestFreePasidAndNeverPasidZero() {
        IoasidSpace space = new IoasidSpace(20);
        IoasidSet a = space.openSet("a", 10);
        assertEquals(1, a.allocate(0, 100), "PASID 0 is RID_PASID and never handed out");
        assertEquals(2, a.allocate(0, 100));
        assertEquals(50, a.allocate(50, 100));
        a.free(1);
        assertEquals(1, a.allocate(1, 100), "a freed PASID is reused, lowest first");
        assertEquals(List.of(1, 2, 50), a.pasids());
        assertEquals(3, space.allocatedCount());
        assertEquals((1 << 20) - 1, space.maxPasid());
    }

    @Test
    void rangeErrorsComeFirstAndAreEinval() {
        IoasidSpace space = new IoasidSpace(8);
        IoasidSet a = space.openSet("a", 1);
        a.allocate(1, 255);
        // the set is at its quota, yet a bad range still answers EINVAL: the range is checked first
        assertEquals(Errno.EINVAL, errno(() -> a.allocate(10, 9)));
        assertEquals(Errno.EINVAL, errno(() -> a.allocate(-1, 9)));
        assertEquals(Errno.EINVAL, errno(() -> a.allocate(1, Integer.MIN_VALUE)));
        assertEquals(Errno.ENOSPC, errno(() -> a.allocate(1, 255)));
    }

    @Test
    void rangeOutsideTheSpaceOrOnlyPasidZeroIsEnospc() {
        IoasidSpace space = new IoasidSpace(8);
        IoasidSet a = space.openSet("a", 5);
        assertEquals(Errno.ENOSPC, errno(() -> a.allocate(0, 0)));
        assertEquals(Errno.ENOSPC, errno(() -> a.allocate(256, 1000)));
        assertEquals(255, a.allocate(255, 1000), "the range is clipped to the 8-bit space");
        assertEquals(List.of(255), a.pasids());
    }

    @Test
    void quotaBeyondItIsEnospcAndFreeingMakesRoom() {
        IoasidSpace space = new IoasidSpace(20);
        IoasidSet a = space.openSet("a", 2);
        a.allocate(1, 1000);
        a.allocate(1, 1000);
        assertEquals(Errno.ENOSPC, errno(() -> a.allocate(1, 1000)));
        assertEquals(2, a.count());
        a.free(1);
        assertEquals(1, a.allocate(1, 1000));
    }

    @Test
    void fullSpaceIsEnospcEvenUnderQuota() {
        IoasidSpace space = new IoasidSpace(2); // PASIDs 1..3
        IoasidSet a = space.openSet("a", 2);
        IoasidSet b = space.openSet("b", 1);
        assertEquals(1, a.allocate(1, 3));
        assertEquals(2, b.allocate(1, 3));
        // a is under its quota, but the only PASID in [1, 2] is taken
        assertEquals(Errno.ENOSPC, errno(() -> a.allocate(1, 2)));
        assertEquals(3, a.allocate(1, 3));
        assertEquals(3, space.allocatedCount());
    }

    @Test
    void quotasAreReservedFromCapacity() {
        IoasidSpace space = new IoasidSpace(4); // capacity 15
        assertEquals(15, space.capacity());
        IoasidSet a = space.openSet("a", 10);
        assertEquals(5, space.availableCapacity());
        assertEquals(Errno.ENOSPC, errno(() -> space.openSet("b", 6)));
        IoasidSet b = space.openSet("b", 5);
        assertEquals(0, space.availableCapacity());
        assertEquals(Errno.EEXIST, errno(() -> space.openSet("a", 0)));
        assertEquals(Errno.EINVAL, errno(() -> space.openSet("", 1)));
        assertEquals(Errno.EINVAL, errno(() -> space.openSet("c", -1)));
        a.close();
        assertEquals(10, space.availableCapacity(), "closing an empty set returns its reservation");
        IoasidSet all = space.openSet("c", 0);
        assertEquals(10, all.quota(), "quota 0 takes what is still available");
        assertEquals(0, space.availableCapacity());
        assertEquals(5, b.quota());
    }

    @Test
    void adjustQuotaFollowsTheSeriesRules() {
        IoasidSpace space = new IoasidSpace(4); // capacity 15
        IoasidSet a = space.openSet("a", 5);
        a.allocate(1, 15);
        a.allocate(1, 15);
        a.allocate(1, 15);
        assertEquals(Errno.EINVAL, errno(() -> a.adjustQuota(0)));
        assertEquals(Errno.EINVAL, errno(() -> a.adjustQuota(2)));
        assertEquals(Errno.ENOSPC, errno(() -> a.adjustQuota(16)));
        assertEquals(5, a.quota(), "a refused change leaves the quota");
        assertEquals(10, space.availableCapacity());
        a.adjustQuota(15);
        assertEquals(0, space.availableCapacity());
        a.adjustQuota(3);
        assertEquals(12, space.availableCapacity());
        assertEquals(Errno.ENOSPC, errno(() -> a.allocate(1, 15)));
    }

    @Test
    void anotherContextsPasidCanBeNeitherUsedNorFreed() {
        IoasidSpace space = new IoasidSpace(20);
        IoasidSet a = space.openSet("a", 10);
        IoasidSet b = space.openSet("b", 10);
        int pa = a.allocate(1, 100);
        assertEquals(Errno.EACCES, errno(() -> b.find(pa)));
        assertEquals(Errno.EACCES, errno(() -> b.get(pa)));
        assertEquals(Errno.EACCES, errno(() -> b.put(pa)));
        assertEquals(Errno.EACCES, errno(() -> b.free(pa)));
        assertEquals(0, b.freeRange(0, 1000), "a range free skips other sets' PASIDs silently");
        assertEquals(OptionalInt.empty(), b.findFirst(0, 1000));
        assertTrue(space.isAllocated(pa));
        assertEquals("a", space.ownerTag(pa).orElseThrow());
        a.find(pa);
        a.free(pa);
        assertFalse(space.isAllocated(pa));
    }

    @Test
    void unknownPasidErrnosFollowFindAndGet() {
        IoasidSpace space = new IoasidSpace(20);
        IoasidSet a = space.openSet("a", 10);
        assertEquals(Errno.ENOENT, errno(() -> a.find(7)));
        assertEquals(Errno.EINVAL, errno(() -> a.get(7)));
        assertEquals(Errno.EINVAL, errno(() -> a.put(7)));
        assertEquals(Errno.EINVAL, errno(() -> a.free(7)));
        assertEquals(Errno.EINVAL, errno(() -> a.free(-3)));
    }

    @Test
    void freeWhileReferencedIsPendingUntilTheLastPut() {
        IoasidSpace space = new IoasidSpace(20);
        IoasidSet a = space.openSet("a", 1);
        IoasidSet b = space.openSet("b", 1);
        int p = a.allocate(1, 100);
        a.get(p); // a device binding holds it
        a.free(p);
        assertTrue(space.isAllocated(p), "still referenced: not released");
        assertEquals(Errno.EBUSY, errno(() -> a.get(p)));
        assertEquals(Errno.EBUSY, errno(() -> b.get(p)), "being freed is checked before ownership");
        assertEquals(List.of(), a.pasids());
        assertEquals(OptionalInt.empty(), a.findFirst(0, 100));
        assertEquals(1, a.count(), "a pending PASID still counts against the quota");
        assertEquals(Errno.ENOSPC, errno(() -> a.allocate(1, 100)));
        a.free(p); // a second free of a pending PASID does nothing
        assertTrue(space.isAllocated(p));
        assertEquals(2, b.allocate(1, 100), "the pending PASID is not handed out again");
        assertTrue(a.put(p), "the last put releases it");
        assertFalse(space.isAllocated(p));
        assertEquals(0, a.count());
        assertEquals(1, a.allocate(1, 100));
    }

    @Test
    void putOfTheLastReferenceWithoutFreeReleasesLikeTheKernel() {
        IoasidSpace space = new IoasidSpace(20);
        IoasidSet a = space.openSet("a", 4);
        int p = a.allocate(1, 100);
        a.get(p);
        assertFalse(a.put(p));
        assertTrue(space.isAllocated(p));
        assertTrue(a.put(p), "ioasid_put frees when the count reaches zero");
        assertFalse(space.isAllocated(p));
    }

    @Test
    void findFirstAndFreeRangeSeeOnlyThisSetsLivePasids() {
        IoasidSpace space = new IoasidSpace(20);
        IoasidSet a = space.openSet("a", 10);
        IoasidSet b = space.openSet("b", 10);
        for (int p : new int[] {5, 9, 12, 20}) {
            assertEquals(p, a.allocate(p, p));
        }
        assertEquals(10, b.allocate(10, 10));
        assertEquals(OptionalInt.of(5), a.findFirst(0, 100));
        assertEquals(OptionalInt.of(9), a.findFirst(6, 100));
        assertEquals(OptionalInt.of(12), a.findFirst(10, 12), "b's PASID 10 is not a's");
        assertEquals(OptionalInt.empty(), a.findFirst(13, 19));
        assertEquals(OptionalInt.of(10), space.findFirstAllocated(10, 19));
        assertEquals(Errno.EINVAL, errno(() -> a.findFirst(7, 6)));
        assertEquals(Errno.EINVAL, errno(() -> a.freeRange(7, 6)));
        assertEquals(2, a.freeRange(8, 12));
        assertEquals(List.of(5, 20), a.pasids());
        assertTrue(space.isAllocated(10));
    }

    @Test
    void closeFreesEverythingAndReleasesTheSetWhenNoUserIsLeft() {
        IoasidSpace space = new IoasidSpace(6); // capacity 63
        IoasidSet a = space.openSet("a", 8);
        IoasidSet b = space.openSet("b", 8);
        int held = a.allocate(1, 63);
        a.allocate(1, 63);
        a.allocate(1, 63);
        int pb = b.allocate(1, 63);
        a.get(held);
        a.close();
        assertTrue(a.isClosed());
        assertEquals(List.of(), a.pasids());
        assertEquals(2, space.allocatedCount(), "b's PASID and a's still-referenced one");
        assertEquals(Errno.EINVAL, errno(() -> a.allocate(1, 63)));
        assertEquals(Errno.EEXIST, errno(() -> space.openSet("a", 1)), "the tag stays until the set is released");
        assertEquals(63 - 16, space.availableCapacity());
        a.close(); // idempotent
        assertTrue(a.put(held));
        assertEquals(63 - 8, space.availableCapacity(), "the last put released the set's reservation");
        assertTrue(space.set("a").isEmpty());
        IoasidSet again = space.openSet("a", 8);
        assertEquals(OptionalInt.of(pb), space.findFirstAllocated(1, 63));
        assertEquals(1, again.allocate(1, 63));
    }

    @Test
    void noPasidCapableUnitMeansNoAllocation() {
        IoasidSpace space = new IoasidSpace(0);
        assertEquals(0, space.capacity());
        IoasidSet a = space.openSet("a", 0);
        assertEquals(0, a.quota());
        assertEquals(Errno.EOPNOTSUPP, errno(() -> a.allocate(1, 10)));
        assertEquals(Errno.EINVAL, errno(() -> a.allocate(10, 1)), "range errors still come first");
    }
}
