package io.nestor.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class VeventQueueTest {

    private static byte[] event(int tag) {
        return ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putLong(tag).array();
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void aDepthOfZeroIsRefused() {
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> new VeventQueue(0)).errno());
    }

    @Test
    void eventsCarryAHeaderWithConsecutiveSequenceNumbersAndReadsAreWholeEvents() {
        VeventQueue q = new VeventQueue(4);
        q.report(event(0xA));
        q.report(event(0xB));
        assertEquals(0, q.read(39).length, "one event needs 40 bytes");
        ByteBuffer r = le(q.read(100));
        assertEquals(80, r.remaining());
        assertEquals(0, r.getInt());
        assertEquals(0, r.getInt());
        assertEquals(0xA, r.getLong());
        r.position(40);
        assertEquals(0, r.getInt());
        assertEquals(1, r.getInt());
    }

    @Test
    void aFullQueueDropsEventsAndReportsTheLossWithOneHeaderAndASequenceGap() {
        VeventQueue q = new VeventQueue(2);
        q.report(event(1)); // seq 0
        q.report(event(2)); // seq 1
        q.report(event(3)); // seq 2, dropped
        q.report(event(4)); // seq 3, dropped: the lost header now carries 3
        assertEquals(2, q.size());

        ByteBuffer r = le(q.read(1000));
        assertEquals(2 * 40 + VeventQueue.HEADER_SIZE, r.remaining(), "two events and a bare header");
        r.position(80);
        assertEquals(VeventQueue.FLAG_LOST_EVENTS, r.getInt());
        assertEquals(3, r.getInt());

        q.report(event(5)); // seq 4
        q.report(event(6)); // seq 5
        q.report(event(7)); // seq 6, dropped
        q.read(40);         // seq 4 read: room again
        q.report(event(8)); // seq 7: replaces the lost header
        ByteBuffer rest = le(q.read(1000));
        assertEquals(80, rest.remaining(), "no lost header any more: the gap 5 -> 7 tells the loss");
        assertEquals(5, rest.getInt(4));
        assertEquals(7, rest.getInt(44));
    }

    @Test
    void sequenceNumbersWrapFromIntMaxToZero() {
        VeventQueue q = new VeventQueue(1, Integer.MAX_VALUE);
        q.report(event(1));
        assertEquals(Integer.MAX_VALUE, le(q.read(40)).getInt(4));
        q.report(event(2));
        assertArrayEquals(new byte[] {0, 0, 0, 0}, java.util.Arrays.copyOfRange(q.read(40), 4, 8));
    }
}
