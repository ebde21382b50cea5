package io.nestor.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.iommufd.PageFaultQueue.Group;
import io.nestor.core.iommufd.PageFaultQueue.PageFault;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class PageFaultQueueTest {
    private final PageFaultQueue q = new PageFaultQueue();

    private static byte[] responses(int... cookieCodePairs) {
        ByteBuffer b = ByteBuffer.allocate(cookieCodePairs.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : cookieCodePairs) {
            b.putInt(v);
        }
        return b.array();
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void aGroupIsReadableOnlyOnceItsLastRequestArrivedAndItsRecordsAreTheKernelLayout() {
        q.add(new PageFault(3, 7, 0x1f, 2, 0x7000, false));
        assertFalse(q.readable());
        assertEquals(0, q.read(400).length);
        q.add(new PageFault(3, 7, 0x1f, 1, 0x8000, true));
        assertTrue(q.readable());

        ByteBuffer r = le(q.read(400));
        assertEquals(2 * PageFaultQueue.RECORD_SIZE, r.remaining());
        // struct iommu_hwpt_pgfault: flags, dev_id, pasid, grpid, perm, __reserved, addr, length, cookie
        assertEquals(PageFaultQueue.FLAG_PASID_VALID, r.getInt());
        assertEquals(3, r.getInt());
        assertEquals(7, r.getInt());
        assertEquals(0x1f, r.getInt());
        assertEquals(2, r.getInt());
        assertEquals(0, r.getInt());
        assertEquals(0x7000, r.getLong());
        assertEquals(0, r.getInt());
        assertEquals(1, r.getInt(), "the first cookie is 1");
        assertEquals(PageFaultQueue.FLAG_PASID_VALID | PageFaultQueue.FLAG_LAST_PAGE, r.getInt());
        r.position(r.position() + 32);
        assertEquals(1, r.getInt(), "every record of a group carries its cookie");
    }

    @Test
    void readsDeliverWholeGroupsOnlyAndRefuseSizesThatAreNotWholeRecords() {
        q.add(new PageFault(1, -1, 1, 1, 0x1000, false));
        q.add(new PageFault(1, -1, 1, 1, 0x2000, true));
        q.add(new PageFault(2, -1, 4, 1, 0x3000, true));
        assertEquals(Errno.ESPIPE, assertThrows(IommuException.class, () -> q.read(41)).errno());
        assertEquals(0, q.read(40).length, "the first group needs 80 bytes and stays queued");
        byte[] both = q.read(120);
        assertEquals(120, both.length);
        assertEquals(0, le(both).getInt(0), "no PASID: flags without PASID_VALID");
        assertEquals(2, le(both).getInt(116), "the second group's cookie");
    }

    @Test
    void responsesAnswerDeliveredGroupsByCookieWithTheKernelsChecks() {
        q.add(new PageFault(1, 5, 9, 1, 0x1000, true));
        q.add(new PageFault(1, 5, 10, 1, 0x2000, true));
        q.read(80);

        assertEquals(Errno.ESPIPE, assertThrows(IommuException.class, () -> q.respond(new byte[12])).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> q.respond(responses(1, 2))).errno(),
                "code 2 is neither SUCCESS nor INVALID");
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> q.respond(responses(9, 0))).errno(),
                "an unknown cookie");

        PageFaultQueue.Responses r = q.respond(responses(2, 1, 7, 0));
        assertEquals(8, r.bytesConsumed(), "the bad second response ends a short write");
        assertEquals(10, r.answered().get(0).getKey().grpid());
        assertEquals(1, r.answered().get(0).getValue());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> q.respond(responses(2, 0))).errno(),
                "an answered cookie is gone");
        assertEquals(8, q.respond(responses(1, 0)).bytesConsumed());
    }

    @Test
    void cookiesAreTheLowestFreeAmongUnansweredGroups() {
        q.add(new PageFault(1, -1, 1, 1, 0, true));
        q.add(new PageFault(1, -1, 2, 1, 0, true));
        q.read(80);
        q.respond(responses(1, 0));
        q.add(new PageFault(1, -1, 3, 1, 0, true));
        assertEquals(1, le(q.read(40)).getInt(36), "cookie 1 is free again");
    }

    @Test
    void detachTakesEveryGroupOfTheDeviceWhateverItsState() {
        q.add(new PageFault(1, -1, 1, 1, 0x1000, true));  // will be delivered
        q.read(40);
        q.add(new PageFault(1, -1, 2, 1, 0x2000, true));  // queued
        q.add(new PageFault(1, -1, 3, 1, 0x3000, false)); // partial
        q.add(new PageFault(2, -1, 4, 1, 0x4000, true));  // another device
        List<Group> gone = q.detach(1);
        assertEquals(List.of(1, 2, 3), gone.stream().map(Group::grpid).sorted().toList());
        assertEquals(40, q.read(400).length, "the other device's group stays");
        assertEquals(1, q.drain().size());
        assertFalse(q.readable());
    }
}
