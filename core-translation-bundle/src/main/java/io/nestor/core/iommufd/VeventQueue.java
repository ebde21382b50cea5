package io.nestor.core.iommufd;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The queue behind an iommufd VEVENTQ object ({@code IOMMU_VEVENTQ_ALLOC}, the kernel's
 * {@code eventq.c}): events a vIOMMU reports for its guest (for SMMUv3 the hardware event with the
 * StreamID replaced by the vSID), read as {@code struct iommufd_vevent_header { u32 flags;
 * u32 sequence; }} each followed by the event's data.
 *
 * <p>Rules, as the kernel applies them: each event takes the next sequence number, which runs 0 to
 * INT_MAX and wraps to 0. While {@code depth} events wait, a new event is dropped, but it still takes
 * its sequence number: a single header with {@link #FLAG_LOST_EVENTS} and no data stands at the
 * tail with the latest such number, and goes when a newer event is queued — so a reader sees the
 * loss either as that header or as a gap in the sequence. Reads return whole events only.
 *
 * <p>Thread-safe: every method synchronises on the queue.
 */
public final class VeventQueue {

    public static final int FLAG_LOST_EVENTS = 1;
    public static final int HEADER_SIZE = 8;

    private record Event(int flags, int sequence, byte[] data) {
        int size() {
            return HEADER_SIZE + data.length;
        }
    }

    private final int depth;
    private final Deque<Event> events = new ArrayDeque<>();
    /** The lost-events header at the tail, or null. Not counted against the depth. */
    private Event lost;
    private int nextSequence;

    /** @throws IommuException EINVAL for a depth of 0 ({@code veventq_depth}) */
    public VeventQueue(int depth) {
        this(depth, 0);
    }

    /** A queue whose first event takes {@code firstSequence} (tests of the wrap-around). */
    VeventQueue(int depth, int firstSequence) {
        if (depth <= 0) {
            throw IommuException.of(Errno.EINVAL, "veventq_depth %d must be at least 1", Integer.toUnsignedLong(depth));
        }
        this.depth = depth;
        this.nextSequence = firstSequence & Integer.MAX_VALUE;
    }

    public int depth() {
        return depth;
    }

    /** Reports one event (its data, the header is added); dropped when {@code depth} events wait. */
    public synchronized void report(byte[] data) {
        int sequence = nextSequence;
        nextSequence = (nextSequence + 1) & Integer.MAX_VALUE;
        if (events.size() >= depth) {
            lost = new Event(FLAG_LOST_EVENTS, sequence, new byte[0]);
            return;
        }
        lost = null;
        events.add(new Event(0, sequence, data.clone()));
    }

    /** Whether a read would return something. */
    public synchronized boolean readable() {
        return !events.isEmpty() || lost != null;
    }

    /** Events waiting, the lost-events header not counted. */
    public synchronized int size() {
        return events.size();
    }

    /**
     * Reads up to {@code max} whole events, oldest first, each as its header followed by its data
     * (the lost-events header alone): what successive reads return, one event apart.
     */
    public synchronized java.util.List<byte[]> readEvents(int max) {
        java.util.List<byte[]> out = new java.util.ArrayList<>();
        while (out.size() < max) {
            Event next = events.isEmpty() ? lost : events.peekFirst();
            if (next == null) {
                break;
            }
            out.add(read(next.size()));
        }
        return out;
    }

    /** Reads whole events (header and data), oldest first, while they fit in {@code count} bytes. */
    public synchronized byte[] read(int count) {
        if (count < 0) {
            throw IommuException.of(Errno.EINVAL, "negative read size %d", count);
        }
        ByteBuffer out = ByteBuffer.allocate(count).order(ByteOrder.LITTLE_ENDIAN);
        while (true) {
            Event next = events.isEmpty() ? lost : events.peekFirst();
            if (next == null || next.size() > out.remaining()) {
                break;
            }
            out.putInt(next.flags()).putInt(next.sequence()).put(next.data());
            if (next == lost && events.isEmpty()) {
                lost = null;
            } else {
                events.pollFirst();
            }
        }
        byte[] bytes = new byte[out.position()];
        out.flip().get(bytes);
        return bytes;
    }
}
