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
import io.nestor.api.iommufd.DirtyBitmapQuery;
import io.nestor.api.iommufd.HwInfoData;
import io.nestor.api.iommufd.HwInfoQuery;
import io.nestor.api.iommufd.HwptAlloc;
import io.nestor.api.iommufd.HwptInvalidate;
import io.nestor.api.iommufd.ViommuAlloc;
import io.nestor.core.iommufd.ContextOptions;
import io.nestor.core.iommufd.DeviceObject;
import io.nestor.core.iommufd.HwInfoReply;
import io.nestor.core.iommufd.HwptAllocCommand;
import io.nestor.core.iommufd.HwptInvalidateCommand;
import io.nestor.core.iommufd.IommufdObject;
import io.nestor.core.iommufd.ObjectRef;
import io.nestor.core.iommufd.ObjectType;
import io.nestor.core.iommufd.ObjectTable;
import io.nestor.core.iommufd.IoasCopyCommand;
import io.nestor.core.iommufd.IoasMapCommand;
import io.nestor.core.iommufd.IoasMapFileCommand;
import io.nestor.core.iommufd.IommufdContext;
import io.nestor.core.iommufd.IovaRangesReply;
import io.nestor.core.iommufd.OptionCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The iommufd contexts of one session over {@link IommufdContext}: handles like descriptors (the
 * session's own, counting up from 1 and not reused, so a stale handle never names a newer context),
 * the kernel's commands with the API's records translated to the core's, and the out values the
 * ioctls write back on failure attached to the errors.
 *
 * <p>Invariants: every context here is open and pins from the session's region table; creating a
 * context or an object goes through the session's quota check; a context is held by each call on it
 * and closed only when no call runs on it ({@link ContextHandle}).
 */
final class SessionIommufd implements Iommufd {
    private final CoreSession session;
    /** How long a session's release waits for calls still running on its contexts. */
    static final long RELEASE_WAIT_MILLIS = 10_000;

    private final ConcurrentSkipListMap<Integer, ContextHandle> contexts = new ConcurrentSkipListMap<>();
    private final AtomicInteger nextHandle = new AtomicInteger(1);

    SessionIommufd(CoreSession session) {
        this.session = session;
    }

    @Override
    public int open() {
        return session.createCounted(0, () -> {
            // every context reaches the platform's devices through the one shared IommufdPlatform:
            // a device bound in one context (of any session) is EBUSY to every other
            IommufdContext context = new IommufdContext(ContextOptions.defaults(), session.memory().table(),
                    session.manager().iommufdPlatform());
            int handle = nextHandle.getAndIncrement();
            contexts.put(handle, new ContextHandle(handle, context));
            context.setQueueListener(new SessionQueueReader(session, handle, context));
            return handle;
        });
    }

    @Override
    public void close(int iommufd) {
        session.checkOpen();
        ContextHandle context = contexts.remove(iommufd);
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

    /** Runs {@code body} on the context named {@code iommufd}, holding it (see {@link ContextHandle}). */
    private <T> T with(int iommufd, Function<IommufdContext, T> body) {
        session.checkOpen();
        ContextHandle context = contexts.get(iommufd);
        if (context == null) {
            throw badHandle(iommufd);
        }
        return context.call(body);
    }

    private static IommuException badHandle(int iommufd) {
        return IommuException.of(Errno.EBADF, "no iommufd %d in this session", Integer.toUnsignedLong(iommufd));
    }

    @Override
    public void destroy(int iommufd, int id) {
        with(iommufd, c -> {
            c.destroy(id);
            return null;
        });
    }

    @Override
    public int faultQueueAlloc(int iommufd, int flags) {
        return with(iommufd, c -> session.createCounted(0, () -> c.eventQueues().faultQueueAlloc(flags)));
    }

    @Override
    public int faultRespond(int iommufd, int faultId, byte[] responses) {
        return with(iommufd, c -> c.eventQueues().faultRespond(faultId, responses)); // the queue copies them
    }

    @Override
    public int veventqAlloc(int iommufd, int flags, int viommuId, int type, int veventqDepth) {
        return with(iommufd, c -> session.createCounted(0,
                () -> c.eventQueues().veventqAlloc(flags, viommuId, type, veventqDepth, 0)));
    }

    /**
     * The context behind {@code iommufd} (the shell's and tests' view of the core objects).
     *
     * @throws IommuException EBADF for a handle the session does not hold
     */
    IommufdContext context(int iommufd) {
        return with(iommufd, c -> c);
    }

    /** The published objects of every context of the session, by context then id (for the shell). */
    List<SessionObject> objects() {
        List<SessionObject> out = new ArrayList<>();
        for (Map.Entry<Integer, ContextHandle> e : contexts.entrySet()) {
            try {
                ObjectTable table = e.getValue().context().objects();
                for (IommufdObject o : table.objects()) {
                    out.add(new SessionObject(session.id(), e.getKey(), o.id(), o.type(), table.users(o.id()),
                            o.toString()));
                }
            } catch (IommuException closedMeanwhile) {
                // the context closed while it was listed
            }
        }
        return out;
    }

    /** Whether {@code device} is bound to one of the session's contexts. */
    boolean hasDevice(io.nestor.api.driver.DeviceInfo device) {
        for (ContextHandle c : contexts.values()) {
            if (c.context().hasDevice(device)) {
                return true;
            }
        }
        return false;
    }

    /** Delivers what the session's event queues hold to its subscribers (a new subscription's start). */
    void deliverPendingEvents() {
        for (ContextHandle c : contexts.values()) {
            new SessionQueueReader(session, c.handle(), c.context()).deliverAll();
        }
    }

    @Override
    public int ioasAlloc(int iommufd, int flags) {
        return with(iommufd, c -> session.createCounted(0, () -> c.ioas().alloc(flags)));
    }

    @Override
    public IovaRanges ioasIovaRanges(int iommufd, int ioasId, int numIovas) {
        IovaRangesReply reply = with(iommufd, c -> c.ioas().iovaRanges(ioasId, numIovas, 0));
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
        with(iommufd, c -> {
            c.ioas().allowIovas(ioasId, ranges, 0);
            return null;
        });
    }

    @Override
    public long ioasMap(int iommufd, IoasMap map) {
        IoasMapCommand cmd = new IoasMapCommand(map.flags(), map.ioasId(), 0, map.userVa(), map.length(), map.iova());
        return with(iommufd, c -> c.ioas().map(cmd));
    }

    @Override
    public long ioasMapFile(int iommufd, IoasMapFile map) {
        IoasMapFileCommand cmd = new IoasMapFileCommand(map.flags(), map.ioasId(), map.regionId(), map.start(),
                map.length(), map.iova());
        return with(iommufd, c -> c.ioas().mapFile(cmd));
    }

    @Override
    public long ioasCopy(int iommufd, IoasCopy copy) {
        IoasCopyCommand cmd = new IoasCopyCommand(copy.flags(), copy.dstIoasId(), copy.srcIoasId(), copy.length(),
                copy.dstIova(), copy.srcIova());
        return with(iommufd, c -> c.ioas().copy(cmd));
    }

    @Override
    public long ioasUnmap(int iommufd, int ioasId, long iova, long length) {
        return with(iommufd, c -> c.ioas().unmap(ioasId, iova, length));
    }

    @Override
    public long option(int iommufd, IommuOption option) {
        OptionCommand cmd = new OptionCommand(option.optionId(), option.op(), 0, option.objectId(), option.val64());
        return with(iommufd, c -> c.option(cmd));
    }

    @Override
    public int vfioIoas(int iommufd, int op, int ioasId) {
        return with(iommufd, c -> c.vfioIoas(op, 0, ioasId));
    }

    // ---- devices and HWPTs ----

    @Override
    public int hwptAlloc(int iommufd, HwptAlloc alloc) {
        HwptAllocCommand cmd = new HwptAllocCommand(alloc.flags(), alloc.devId(), alloc.ptId(), 0, alloc.dataType(),
                alloc.data(), alloc.faultId());
        return with(iommufd, c -> session.createCounted(0, () -> c.hwpts().alloc(cmd)));
    }

    @Override
    public HwInfoData getHwInfo(int iommufd, HwInfoQuery query) {
        HwInfoReply r = with(iommufd, c -> c.devices().hwInfo(query.devId(), query.flags(), query.dataLen(),
                query.inDataType(), 0));
        return new HwInfoData(r.data(), r.dataLen(), r.outDataType(), r.outMaxPasidLog2(), r.outCapabilities());
    }

    @Override
    public void hwptSetDirtyTracking(int iommufd, int hwptId, int flags) {
        with(iommufd, c -> {
            c.dirty().setDirtyTracking(hwptId, flags);
            return null;
        });
    }

    @Override
    public long[] hwptGetDirtyBitmap(int iommufd, DirtyBitmapQuery query) {
        return with(iommufd, c -> c.dirty().getDirtyBitmap(query.hwptId(), query.flags(), 0, query.iova(),
                query.length(), query.pageSize()));
    }

    @Override
    public int hwptInvalidate(int iommufd, HwptInvalidate invalidate) {
        HwptInvalidateCommand cmd = HwptInvalidateCommand.of(invalidate.hwptId(), invalidate.dataType(),
                invalidate.entryLen(), invalidate.entryNum(), invalidate.data());
        try {
            return with(iommufd, c -> c.invalidation().invalidate(cmd));
        } catch (IommuException e) {
            // a bad handle fails before the ioctl runs, but entry_num is still the caller's out value
            throw e.outValues().containsKey("entry_num") ? e : e.withOutValue("entry_num", 0);
        }
    }

    @Override
    public int viommuAlloc(int iommufd, ViommuAlloc alloc) {
        return with(iommufd, c -> session.createCounted(0, () -> c.viommus().allocViommu(alloc.flags(), alloc.type(),
                alloc.devId(), alloc.hwptId(), alloc.data())));
    }

    @Override
    public int vdeviceAlloc(int iommufd, int viommuId, int devId, long virtId) {
        return with(iommufd, c -> session.createCounted(0, () -> c.viommus().allocVdevice(viommuId, devId, virtId)));
    }

    @Override
    public String deviceName(int iommufd, int devId) {
        return with(iommufd, c -> {
            try (ObjectRef<DeviceObject> ref = c.objects().get(devId, ObjectType.DEVICE, DeviceObject.class)) {
                return ref.get().info().name();
            }
        });
    }

    /** {@code VFIO_DEVICE_BIND_IOMMUFD} into the context {@code iommufd}, under the object quota. */
    int bindDevice(int iommufd, String device) {
        return with(iommufd, c -> session.createCounted(0, () -> c.devices().bind(device)));
    }

    /** Runs a device command on the context {@code iommufd}, holding it. */
    <T> T onContext(int iommufd, Function<IommufdContext, T> body) {
        return with(iommufd, body);
    }

    /** Where this session holds {@code device}: its context handle and DEVICE id. */
    record DeviceBinding(int iommufd, int devId) {
    }

    /** The binding of the device named {@code device} in one of this session's contexts, or null. */
    DeviceBinding bindingOf(String device) {
        for (Map.Entry<Integer, ContextHandle> e : contexts.entrySet()) {
            List<IommufdObject> objects;
            try {
                objects = e.getValue().context().objects().objects();
            } catch (IommuException closedMeanwhile) {
                continue;
            }
            for (IommufdObject o : objects) {
                if (o instanceof DeviceObject && ((DeviceObject) o).info().name().equals(device)) {
                    return new DeviceBinding(e.getKey(), o.id());
                }
            }
        }
        return null;
    }

    /** Whether {@code bindingOwner} (an owner in the platform's device bindings) is one of this session's contexts. */
    boolean holds(Object bindingOwner) {
        return contexts.values().stream().anyMatch(c -> c.context() == bindingOwner);
    }

    /** Contexts plus the objects in them, for the session's object quota. */
    int objectCount() {
        int count = 0;
        for (ContextHandle c : contexts.values()) {
            count++;
            try {
                count += c.context().objects().objects().size();
            } catch (IommuException closedMeanwhile) {
                // close(handle) ran between the iteration and the read: the context holds nothing now
            }
        }
        return count;
    }

    /**
     * Closes every context, destroying its objects and releasing its pins, and waits (bounded) for
     * calls still running on them, so that the regions can be destroyed next.
     */
    void closeAll() {
        List<ContextHandle> closing = new ArrayList<>();
        for (Integer handle : List.copyOf(contexts.keySet())) {
            ContextHandle context = contexts.remove(handle);
            if (context != null) {
                context.close();
                closing.add(context);
            }
        }
        try {
            for (ContextHandle c : closing) {
                if (!c.awaitReleased(RELEASE_WAIT_MILLIS)) {
                    System.getLogger(SessionIommufd.class.getName()).log(System.Logger.Level.ERROR, "session "
                            + session.id() + ": a call still runs on an iommufd context after "
                            + RELEASE_WAIT_MILLIS + " ms; it closes when the call ends");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
