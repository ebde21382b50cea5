package io.nestor.core.iommufd;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The queue behind an iommufd FAULT object ({@code IOMMU_FAULT_QUEUE_ALLOC}, the kernel's
 * {@code fault.c}): page requests of the devices attached to fault-enabled HWPTs, grouped as the
 * device sent them, read by user space as {@code struct iommu_hwpt_pgfault} records and answered
 * with {@code struct iommu_hwpt_page_response} records.
 *
 * <p>Rules, as the kernel applies them:
 * <ul>
 *   <li>a group is delivered only once its last request arrived, and only whole (every record of
 *       it, or none, in one read); each record of a group carries the group's cookie, the lowest
 *       free id from 1, unique among the groups still unanswered;</li>
 *   <li>a read of a count that is not a multiple of 40 bytes answers ESPIPE; nothing pending reads
 *       empty;</li>
 *   <li>a write of a count that is not a multiple of 8 answers ESPIPE; a code other than
 *       SUCCESS (0) or INVALID (1), or a cookie of no delivered group, answers EINVAL — unless
 *       earlier responses of the same write were consumed, which then count (a short write);</li>
 *   <li>when a device leaves the HWPT, or the queue is destroyed, every group of it — partial,
 *       queued or delivered — is answered INVALID by the caller (the groups are handed back).</li>
 * </ul>
 * Thread-safe: every method synchronises on the queue (a control path, not the translation path).
 */
public final class PageFaultQueue {

    /** {@code sizeof(struct iommu_hwpt_pgfault)}. */
    public static final int RECORD_SIZE = 40;
    /** {@code sizeof(struct iommu_hwpt_page_response)}. */
    public static final int RESPONSE_SIZE = 8;
    public static final int FLAG_PASID_VALID = 1;
    public static final int FLAG_LAST_PAGE = 1 << 1;
    public static final int RESPONSE_SUCCESS = 0;
    public static final int RESPONSE_INVALID = 1;

    /**
     * One page request as the fault queue records it.
     *
     * @param pasid the PASID, or -1 when the request carried none
     * @param perm {@code IOMMU_PGFAULT_PERM_*} bits (READ 1, WRITE 2, EXEC 4, PRIV 8)
     */
    public record PageFault(int devId, int pasid, int grpid, int perm, long addr, boolean lastPage) {
    }

    /** A whole group: what a response answers. {@code cookie} is 0 until the group is queued. */
    public record Group(int cookie, int devId, int pasid, int grpid, List<PageFault> faults) {
        public Group {
            faults = List.copyOf(faults);
        }
    }

    /** What a write of responses did. */
    public record Responses(int bytesConsumed, List<Map.Entry<Group, Integer>> answered) {
        public Responses {
            answered = List.copyOf(answered);
        }
    }

    private record GroupKey(int devId, int pasid, int grpid) {
    }

    private final Map<GroupKey, List<PageFault>> partial = new LinkedHashMap<>();
    private final Deque<Group> queued = new ArrayDeque<>();
    private final TreeMap<Integer, Group> delivered = new TreeMap<>();

    /** Adds a page request; a group becomes readable with its last request. */
    public synchronized void add(PageFault fault) {
        GroupKey key = new GroupKey(fault.devId(), fault.pasid(), fault.grpid());
        List<PageFault> faults = partial.computeIfAbsent(key, k -> new ArrayList<>());
        faults.add(fault);
        if (fault.lastPage()) {
            partial.remove(key);
            queued.add(new Group(nextCookie(), key.devId(), key.pasid(), key.grpid(), faults));
        }
    }

    /** The lowest cookie from 1 not held by a queued or delivered group. */
    private int nextCookie() {
        int cookie = 1;
        java.util.Set<Integer> used = new java.util.HashSet<>(delivered.keySet());
        for (Group g : queued) {
            used.add(g.cookie());
        }
        while (used.contains(cookie)) {
            cookie++;
        }
        return cookie;
    }

    /** Whether a read would return something (the fd's EPOLLIN). */
    public synchronized boolean readable() {
        return !queued.isEmpty();
    }

    /**
     * Reads whole groups, oldest first, as long as they fit in {@code count} bytes.
     *
     * @throws IommuException ESPIPE when {@code count} is not a multiple of {@value #RECORD_SIZE}
     */
    public synchronized byte[] read(int count) {
        if (count < 0 || count % RECORD_SIZE != 0) {
            throw IommuException.of(Errno.ESPIPE, "read of %d bytes is not a multiple of %d", count, RECORD_SIZE);
        }
        ByteBuffer out = ByteBuffer.allocate(count).order(ByteOrder.LITTLE_ENDIAN);
        while (!queued.isEmpty() && queued.peekFirst().faults().size() * RECORD_SIZE <= out.remaining()) {
            Group g = queued.pollFirst();
            for (PageFault f : g.faults()) {
                int flags = (f.pasid() >= 0 ? FLAG_PASID_VALID : 0) | (f.lastPage() ? FLAG_LAST_PAGE : 0);
                out.putInt(flags).putInt(f.devId()).putInt(Math.max(f.pasid(), 0)).putInt(f.grpid())
                        .putInt(f.perm()).putInt(0).putLong(f.addr()).putInt(0).putInt(g.cookie());
            }
            delivered.put(g.cookie(), g);
        }
        byte[] bytes = new byte[out.position()];
        out.flip().get(bytes);
        return bytes;
    }

    /**
     * Consumes responses; the caller sends each answered group's response to its device.
     *
     * @throws IommuException ESPIPE for a length that is not a multiple of {@value #RESPONSE_SIZE};
     *     EINVAL for a bad code or an unknown cookie when it is the first response of the write
     */
    public synchronized Responses respond(byte[] responses) {
        if (responses.length % RESPONSE_SIZE != 0) {
            throw IommuException.of(Errno.ESPIPE, "write of %d bytes is not a multiple of %d", responses.length,
                    RESPONSE_SIZE);
        }
        ByteBuffer in = ByteBuffer.wrap(responses).order(ByteOrder.LITTLE_ENDIAN);
        List<Map.Entry<Group, Integer>> answered = new ArrayList<>();
        int done = 0;
        while (in.remaining() >= RESPONSE_SIZE) {
            int cookie = in.getInt();
            int code = in.getInt();
            IommuException bad = null;
            if (code != RESPONSE_SUCCESS && code != RESPONSE_INVALID) {
                bad = IommuException.of(Errno.EINVAL, "response code %d is neither SUCCESS (0) nor INVALID (1)",
                        Integer.toUnsignedLong(code));
            } else if (!delivered.containsKey(cookie)) {
                bad = IommuException.of(Errno.EINVAL, "cookie %d names no delivered, unanswered group",
                        Integer.toUnsignedLong(cookie));
            }
            if (bad != null) {
                if (done == 0) {
                    throw bad;
                }
                break;
            }
            answered.add(Map.entry(delivered.remove(cookie), code));
            done += RESPONSE_SIZE;
        }
        return new Responses(done, answered);
    }

    /** Takes every group of {@code devId} out — partial, queued and delivered — to be answered INVALID. */
    public synchronized List<Group> detach(int devId) {
        return detach(devId, g -> true);
    }

    /**
     * Takes the groups of {@code devId} that {@code which} selects out — partial (cookie 0), queued
     * and delivered: those that came through one attachment of the device (the kernel's
     * {@code iommufd_auto_response_faults} matches the group's attach handle).
     */
    public synchronized List<Group> detach(int devId, java.util.function.Predicate<Group> which) {
        List<Group> out = new ArrayList<>();
        for (Iterator<Map.Entry<GroupKey, List<PageFault>>> it = partial.entrySet().iterator(); it.hasNext();) {
            Map.Entry<GroupKey, List<PageFault>> e = it.next();
            if (e.getKey().devId() == devId) {
                Group g = new Group(0, devId, e.getKey().pasid(), e.getKey().grpid(), e.getValue());
                if (which.test(g)) {
                    out.add(g);
                    it.remove();
                }
            }
        }
        queued.removeIf(g -> g.devId() == devId && which.test(g) && out.add(g));
        delivered.values().removeIf(g -> g.devId() == devId && which.test(g) && out.add(g));
        return out;
    }

    /** Takes every group out, for the queue's destruction. */
    public synchronized List<Group> drain() {
        List<Group> out = new ArrayList<>();
        for (Map.Entry<GroupKey, List<PageFault>> e : partial.entrySet()) {
            out.add(new Group(0, e.getKey().devId(), e.getKey().pasid(), e.getKey().grpid(), e.getValue()));
        }
        partial.clear();
        out.addAll(queued);
        queued.clear();
        out.addAll(delivered.values());
        delivered.clear();
        return out;
    }
}
