package io.nestor.core.service;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.iommufd.IoasCopy;
import io.nestor.api.iommufd.IoasMap;
import io.nestor.api.iommufd.IoasMapFile;
import io.nestor.api.iommufd.IommuOption;
import io.nestor.api.iommufd.Iommufd;
import io.nestor.api.iommufd.IovaRange;
import io.nestor.api.iommufd.IovaRanges;
import io.nestor.core.iommufd.ContextOptions;
import io.nestor.core.iommufd.IoasCopyCommand;
import io.nestor.core.iommufd.IoasMapCommand;
import io.nestor.core.iommufd.IoasMapFileCommand;
import io.nestor.core.iommufd.IommufdContext;
import io.nestor.core.iommufd.IovaRangesReply;
import io.nestor.core.iommufd.OptionCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The iommufd contexts of one session over {@link IommufdContext}: handles like descriptors (the
 * session's own, counting up from 1 and not reused, so a stale handle never names a newer context),
 * the kernel's commands with the API's records translated to the core's, and the out values the
 * ioctls write back on failure attached to the errors.
 *
 * <p>Invariants: every context here is open and pins from the session's region table; creating a
 * context or an object goes through the session's quota check.
 */
final class SessionIommufd implements Iommufd {
    private final CoreSession session;
    private final ConcurrentSkipListMap<Integer, IommufdContext> contexts = new ConcurrentSkipListMap<>();
    private final AtomicInteger nextHandle = new AtomicInteger(1);

    SessionIommufd(CoreSession session) {
        this.session = session;
    }

    @Override
    public int open() {
        return session.createCounted(0, () -> {
            IommufdContext context = new IommufdContext(ContextOptions.defaults(), session.memory().table());
            int handle = nextHandle.getAndIncrement();
            contexts.put(handle, context);
            return handle;
        });
    }

    @Override
    public void close(int iommufd) {
        session.checkOpen();
        IommufdContext context = contexts.remove(iommufd);
        if (context == null) {
            throw badHandle(iommufd);
        }
        context.close();
    }

    @Override
    public List<Integer> contexts() {
        session.checkOpen();
        return List.copyOf(contexts.keySet());
    }

    private IommufdContext context(int iommufd) {
        session.checkOpen();
        IommufdContext context = contexts.get(iommufd);
        if (context == null) {
            throw badHandle(iommufd);
        }
        return context;
    }

    private static IommuException badHandle(int iommufd) {
        return IommuException.of(Errno.EBADF, "no iommufd %d in this session", Integer.toUnsignedLong(iommufd));
    }

    @Override
    public void destroy(int iommufd, int id) {
        context(iommufd).destroy(id);
    }

    @Override
    public int ioasAlloc(int iommufd, int flags) {
        IommufdContext context = context(iommufd);
        return session.createCounted(0, () -> context.ioas().alloc(flags));
    }

    @Override
    public IovaRanges ioasIovaRanges(int iommufd, int ioasId, int numIovas) {
        IovaRangesReply reply = context(iommufd).ioas().iovaRanges(ioasId, numIovas, 0);
        if (reply.truncated()) {
            // The ioctl writes num_iovas and out_iova_alignment back, then fails (ioas.c).
            throw IommuException.of(Errno.EMSGSIZE, "%d IOVA ranges do not fit num_iovas %d", reply.numIovas(),
                    Integer.toUnsignedLong(numIovas))
                    .withOutValue("num_iovas", reply.numIovas())
                    .withOutValue("out_iova_alignment", reply.outIovaAlignment());
        }
        List<IovaRange> ranges = new ArrayList<>(reply.ranges().size());
        for (io.nestor.core.iommufd.IovaRange r : reply.ranges()) {
            ranges.add(new IovaRange(r.start(), r.last()));
        }
        return new IovaRanges(ranges, reply.numIovas(), reply.outIovaAlignment());
    }

    @Override
    public void ioasAllowIovas(int iommufd, int ioasId, List<IovaRange> allowedIovas) {
        List<io.nestor.core.iommufd.IovaRange> ranges = new ArrayList<>(allowedIovas.size());
        for (IovaRange r : allowedIovas) {
            ranges.add(new io.nestor.core.iommufd.IovaRange(r.start(), r.last()));
        }
        context(iommufd).ioas().allowIovas(ioasId, ranges, 0);
    }

    @Override
    public long ioasMap(int iommufd, IoasMap map) {
        return context(iommufd).ioas().map(
                new IoasMapCommand(map.flags(), map.ioasId(), 0, map.userVa(), map.length(), map.iova()));
    }

    @Override
    public long ioasMapFile(int iommufd, IoasMapFile map) {
        return context(iommufd).ioas().mapFile(new IoasMapFileCommand(map.flags(), map.ioasId(), map.regionId(),
                map.start(), map.length(), map.iova()));
    }

    @Override
    public long ioasCopy(int iommufd, IoasCopy copy) {
        return context(iommufd).ioas().copy(new IoasCopyCommand(copy.flags(), copy.dstIoasId(), copy.srcIoasId(),
                copy.length(), copy.dstIova(), copy.srcIova()));
    }

    @Override
    public long ioasUnmap(int iommufd, int ioasId, long iova, long length) {
        return context(iommufd).ioas().unmap(ioasId, iova, length);
    }

    @Override
    public long option(int iommufd, IommuOption option) {
        return context(iommufd).option(
                new OptionCommand(option.optionId(), option.op(), 0, option.objectId(), option.val64()));
    }

    /** Contexts plus the objects in them, for the session's object quota. */
    int objectCount() {
        int count = 0;
        for (IommufdContext c : contexts.values()) {
            count++;
            try {
                count += c.objects().objects().size();
            } catch (IommuException closedMeanwhile) {
                // close(handle) ran between the iteration and the read: the context holds nothing now
            }
        }
        return count;
    }

    /** Closes every context, destroying its objects and releasing its pins. */
    void closeAll() {
        for (Integer handle : List.copyOf(contexts.keySet())) {
            IommufdContext context = contexts.remove(handle);
            if (context != null) {
                context.close();
            }
        }
    }
}
