package io.nestor.core.iommufd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.PageRequest;
import io.nestor.core.fault.FaultEvent;
import io.nestor.core.session.SessionMemory;
import java.util.List;

/**
 * One client session's iommufd: the analogue of an open {@code /dev/iommu} ({@code struct
 * iommufd_ctx}, {@code main.c}). It owns the object table, the session's memory as MAP sees it, the
 * accounting mode, and the command layers: {@link #ioas()}, and — for a context created over an
 * {@link IommufdPlatform} — {@link #devices()} (bind, attach / replace / detach, GET_HW_INFO),
 * {@link #hwpts()} (HWPT_ALLOC), {@link #invalidation()}, {@link #dirty()}, {@link #viommus()} and
 * {@link #eventQueues()} (FAULT and VEVENTQ objects; page requests and vEVENTs reach them through
 * {@link IommufdEventRouter}).
 * Without a platform those answer ENODEV. It also keeps the VFIO compat IOAS ({@link #vfioIoas}).
 *
 * <p>{@link #close()} destroys every object leaves first, as {@code iommufd_fops_release} does, so
 * every device is detached (PASIDs, then the RID) and released, and every domain page, driver tag
 * and pin goes back; afterwards every command answers EBADF, as an ioctl on a closed descriptor
 * would.
 *
 * <p>Thread-safe: commands may run concurrently; each object guards its own state.
 */
public final class IommufdContext implements AutoCloseable {
    private final ContextOptions options;
    private final SessionMemory memory;
    private final ObjectTable objects;
    private final IoasCommands ioas;
    private final IommufdPlatform platform;
    private final DeviceCommands devices;
    private final HwptCommands hwpts;
    private final HwptInvalidation invalidation;
    private final DirtyTracking dirty;
    private final ViommuCommands viommus;
    private final EventQueueCommands eventQueues;
    private final VfioCompatIoas vfioCompat;
    private volatile QueueListener queueListener = QueueListener.NONE;
    private volatile boolean closed;
    /** {@code IOPT_PAGES_ACCOUNT_MM} when true, else per user (the {@code /dev/iommu} default). */
    private boolean accountPerProcess;

    /** A context without devices (IOAS commands only). */
    public IommufdContext(ContextOptions options, SessionMemory memory) {
        this(options, memory, null);
    }

    /**
     * A context over a platform's devices and drivers.
     *
     * @param platform the registry, the device bindings shared by all contexts, the table pages;
     *     null for a context without devices
     */
    public IommufdContext(ContextOptions options, SessionMemory memory, IommufdPlatform platform) {
        this.options = options;
        this.memory = memory;
        this.platform = platform;
        this.objects = new ObjectTable(options.idLimit());
        this.ioas = new IoasCommands(this);
        this.devices = new DeviceCommands(this);
        this.hwpts = new HwptCommands(this);
        this.invalidation = new HwptInvalidation(this);
        this.dirty = new DirtyTracking(this);
        this.viommus = new ViommuCommands(this);
        this.eventQueues = new EventQueueCommands(this);
        this.vfioCompat = new VfioCompatIoas(objects);
    }

    /**
     * The platform the context reaches devices through.
     *
     * @throws IommuException ENODEV for a context created without one
     */
    IommufdPlatform platform() {
        if (platform == null) {
            throw IommuException.of(Errno.ENODEV, "this iommufd context has no devices");
        }
        return platform;
    }

    /** Device bind / unbind, attach / replace / detach (RID and PASID), GET_HW_INFO. */
    public DeviceCommands devices() {
        checkOpen();
        return devices;
    }

    /** HWPT_ALLOC (paging and nested). */
    public HwptCommands hwpts() {
        checkOpen();
        return hwpts;
    }

    /** HWPT_INVALIDATE. */
    public HwptInvalidation invalidation() {
        checkOpen();
        return invalidation;
    }

    /** HWPT_SET_DIRTY_TRACKING and HWPT_GET_DIRTY_BITMAP. */
    public DirtyTracking dirty() {
        checkOpen();
        return dirty;
    }

    /** VIOMMU_ALLOC and VDEVICE_ALLOC. */
    public ViommuCommands viommus() {
        checkOpen();
        return viommus;
    }

    /** FAULT_QUEUE_ALLOC and VEVENTQ_ALLOC, and the reads / writes of their queues. */
    public EventQueueCommands eventQueues() {
        checkOpen();
        return eventQueues;
    }

    /** Who is told when a FAULT object or VEVENTQ of this context becomes readable (EPOLLIN). */
    public void setQueueListener(QueueListener listener) {
        queueListener = listener == null ? QueueListener.NONE : listener;
    }

    QueueListener queueListener() {
        return queueListener;
    }

    /** Whether {@code device} is bound to this context (its page requests go to its fault queues). */
    public boolean hasDevice(DeviceInfo device) {
        return !closed && deviceObject(device) != null;
    }

    /** The DEVICE object bound here for {@code device}, or null. */
    private DeviceObject deviceObject(DeviceInfo device) {
        for (IommufdObject o : objects.objects()) {
            if (o instanceof DeviceObject d && d.info().equals(device)) {
                return d;
            }
        }
        return null;
    }

    /**
     * {@code find_fault_handler}: queues {@code request} of {@code device} in the FAULT object of
     * the HWPT attached at its PASID — for a PASID with no attachment of its own on a unit whose
     * PASID table belongs to the guest (SMMUv3, {@code user_pasid_table}), at the RID's nested HWPT
     * — or at the RID for a request without PASID.
     *
     * @return whether a fault queue took it; false means nobody will answer it
     */
    boolean routePageRequest(DeviceInfo device, PageRequest request) {
        DeviceObject dev = closed ? null : deviceObject(device);
        if (dev == null) {
            return false;
        }
        synchronized (dev) {
            int attachment = dev.issuedPasid(request.pasid());
            Hwpt h = dev.attachmentsLocked().get(attachment);
            if (h == null && attachment != DeviceInfo.NO_PASID
                    && IommuDriver.KIND_ARM_SMMUV3.equals(dev.unit().kind())) {
                Hwpt rid = dev.attachmentsLocked().get(DeviceInfo.NO_PASID);
                if (rid instanceof HwptNested) {
                    h = rid;
                    attachment = DeviceInfo.NO_PASID;
                }
            }
            FaultQueueObject fault = h == null ? null : h.faultQueue();
            if (fault == null) {
                return false;
            }
            fault.add(dev, attachment, request);
            return true;
        }
    }

    /**
     * {@code arm_vmaster_report_event}: a fault of {@code device} whose RID is attached to a nested
     * HWPT of a vIOMMU with a vDEVICE for it becomes a vEVENT in the vIOMMU's queue of that type,
     * when the unit's driver would report it ({@link Smmuv3Vevent}); without a queue it is dropped.
     *
     * @return whether a vEVENT was queued
     */
    boolean routeFault(FaultEvent event) {
        DeviceObject dev = closed ? null : deviceObject(event.device());
        if (dev == null) {
            return false;
        }
        Hwpt h;
        Vdevice vdev;
        synchronized (dev) {
            h = dev.attachmentsLocked().get(DeviceInfo.NO_PASID);
            vdev = dev.vdevice();
        }
        if (!(h instanceof HwptNested nested) || nested.viommu() == null || vdev == null
                || vdev.viommu() != nested.viommu()) {
            return false;
        }
        byte[] data = Smmuv3Vevent.of(dev.unit().kind(), event.record(), vdev.virtId());
        VeventqObject q = data == null ? null : nested.viommu().veventq(VeventqObject.TYPE_ARM_SMMUV3);
        if (q == null) {
            return false;
        }
        q.report(data);
        return true;
    }

    public ContextOptions options() {
        return options;
    }

    public SessionMemory memory() {
        return memory;
    }

    /** The object table (lookups and DESTROY). */
    public ObjectTable objects() {
        checkOpen();
        return objects;
    }

    /** The object table without the open check: for teardown paths that run while closing. */
    ObjectTable table() {
        return objects;
    }

    /** The IOAS commands (ALLOC, MAP, MAP_FILE, COPY, UNMAP, IOVA_RANGES, ALLOW_IOVAS). */
    public IoasCommands ioas() {
        checkOpen();
        return ioas;
    }

    /**
     * IOMMU_DESTROY.
     *
     * @throws IommuException ENOENT for an unknown (or not yet published) id, EBUSY while in use
     */
    public void destroy(int id) {
        checkOpen();
        objects.destroy(id);
    }

    /**
     * IOMMU_VFIO_IOAS: GET, SET or CLEAR the context's VFIO compat IOAS ({@link VfioCompatIoas}).
     *
     * @return {@code ioas_id} as the ioctl leaves it (the compat IOAS's id for GET)
     * @throws IommuException EOPNOTSUPP for a non-zero {@code __reserved} or an unknown op; ENODEV
     *     for GET without a compat IOAS; ENOENT for SET of an id that is not an IOAS
     */
    public int vfioIoas(int op, int reserved, int ioasId) {
        checkOpen();
        return vfioCompat.execute(op, reserved, ioasId);
    }

    /**
     * IOMMU_OPTION ({@code iommufd_option}): RLIMIT_MODE (global) or HUGE_PAGES (per IOAS).
     *
     * @return {@code val64} as written back (the value read, or the value set)
     * @throws IommuException EOPNOTSUPP for a non-zero {@code __reserved}, an unknown option or op, or
     *     an object id with RLIMIT_MODE; ENOENT for a bad IOAS; EPERM without CAP_SYS_RESOURCE; EBUSY
     *     when setting the mode while objects exist; EINVAL for a bad value
     */
    public long option(OptionCommand cmd) {
        checkOpen();
        if (cmd.reserved() != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "option __reserved 0x%x is not zero", cmd.reserved());
        }
        switch (cmd.optionId()) {
            case IommufdOption.RLIMIT_MODE:
                return rlimitMode(cmd);
            case IommufdOption.HUGE_PAGES:
                return ioas.hugePages(cmd);
            default:
                throw IommuException.of(Errno.EOPNOTSUPP, "unknown option id %d", cmd.optionId());
        }
    }

    /** {@code iommufd_option_rlimit_mode}. */
    private long rlimitMode(OptionCommand cmd) {
        if (cmd.objectId() != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "RLIMIT_MODE is global; object id %d given",
                    Integer.toUnsignedLong(cmd.objectId()));
        }
        if (cmd.op() == IommufdOption.OP_GET) {
            synchronized (this) {
                return accountPerProcess ? 1 : 0;
            }
        }
        if (cmd.op() == IommufdOption.OP_SET) {
            if (!options.capSysResource()) {
                throw IommuException.of(Errno.EPERM, "setting RLIMIT_MODE needs CAP_SYS_RESOURCE");
            }
            synchronized (objects) {
                if (!objects.isEmpty()) {
                    throw IommuException.of(Errno.EBUSY, "RLIMIT_MODE cannot change while objects exist");
                }
                if (cmd.val64() != 0 && cmd.val64() != 1) {
                    throw IommuException.of(Errno.EINVAL, "RLIMIT_MODE value %d is neither 0 nor 1", cmd.val64());
                }
                synchronized (this) {
                    accountPerProcess = cmd.val64() == 1;
                }
            }
            return cmd.val64();
        }
        throw IommuException.of(Errno.EOPNOTSUPP, "unknown option op %d", cmd.op());
    }

    /**
     * Closes the session: destroys every object, leaves first.
     *
     * @return the objects destroyed, in order (for the shell and tests)
     */
    public List<IommufdObject> closeAndReport() {
        synchronized (this) {
            if (closed) {
                return List.of();
            }
            closed = true;
        }
        // VFIO's release unbinds every device first (detaching it); then leaves-first destruction
        List<IommufdObject> order = new java.util.ArrayList<>();
        for (IommufdObject o : objects.objects()) {
            if (o instanceof DeviceObject) {
                DeviceCommands.unbind(objects, (DeviceObject) o);
                order.add(o);
            }
        }
        order.addAll(objects.destroyAll());
        return order;
    }

    @Override
    public void close() {
        closeAndReport();
    }

    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        if (closed) {
            throw IommuException.of(Errno.EBADF, "the iommufd context is closed");
        }
    }
}
