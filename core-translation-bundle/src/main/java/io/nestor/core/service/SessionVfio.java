package io.nestor.core.service;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.vfio.VfioContainers;
import io.nestor.api.vfio.VfioDirtyPages;
import io.nestor.api.vfio.VfioDmaMap;
import io.nestor.api.vfio.VfioDmaUnmap;
import io.nestor.api.vfio.VfioDmaUnmapResult;
import io.nestor.api.vfio.VfioIommuInfo;
import io.nestor.api.vfio.VfioNestingOp;
import io.nestor.api.vfio.VfioPasidRequest;
import io.nestor.core.ioasid.IoasidSet;
import io.nestor.core.ioasid.IoasidSpace;
import io.nestor.core.iommufd.ContextOptions;
import io.nestor.core.vfio.VfioBitmap;
import io.nestor.core.vfio.VfioContainer;
import io.nestor.core.vfio.VfioContainerOptions;
import io.nestor.core.vfio.VfioUnmapResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The VFIO type1 containers of one session over the core's {@link VfioContainer}: handles like
 * descriptors (the session's own, counting up from 1 and never reused), the API's records translated
 * to the core's calls, and the session's PASID set ({@code vfio_mm}) shared by its containers.
 *
 * <p>Every container is built over the platform's shared device ownership and group table (from the
 * {@link SessionManager}), so a group, and its device, is held by one session and one container at a
 * time, and an iommufd context cannot bind a device a container holds. Opening a container and each
 * MAP_DMA go through the session's object quota ({@link CoreSession#createCounted}); the PASID set is
 * opened with the session's PASID quota at the first container and closed with the session.
 *
 * <p>Invariants: a container in {@link #containers} is open; a call that races a close finds the
 * container closed ({@code EBADF}), because the container's own lock orders them. Lock order: the
 * session lock (quota checks) → a container's lock; never the other way round.
 */
final class SessionVfio implements VfioContainers {
    private static final System.Logger LOG = System.getLogger(SessionVfio.class.getName());

    private final CoreSession session;
    private final SessionManager manager;
    private final ConcurrentSkipListMap<Integer, VfioContainer> containers = new ConcurrentSkipListMap<>();
    private final AtomicInteger nextHandle = new AtomicInteger(1);
    /** The session's PASIDs; opened with the first container, guarded by {@code this}. */
    private IoasidSet pasids;
    private boolean pasidsOpened;

    SessionVfio(CoreSession session, SessionManager manager) {
        this.session = session;
        this.manager = manager;
    }

    @Override
    public int open() {
        return session.createCounted(0, () -> {
            VfioContainer container = new VfioContainer(manager.iommufdPlatform(), manager.vfioGroups(), session,
                    session.memory().table(), ContextOptions.defaults(), VfioContainerOptions.defaults(), pasidSet());
            int handle = nextHandle.getAndIncrement();
            containers.put(handle, container);
            return handle;
        });
    }

    /**
     * The session's PASID set: opened once, with the session's PASID quota cut to what the platform's
     * space still has (so that a narrow PASID space does not stop containers from opening); null when
     * the quota is 0 or the space is exhausted — PASID requests then answer EOPNOTSUPP.
     */
    private synchronized IoasidSet pasidSet() {
        if (!pasidsOpened) {
            pasidsOpened = true;
            IoasidSpace space = manager.registry().ioasids();
            int quota = Math.min(session.quotas().pasids(), space.availableCapacity());
            if (quota > 0) {
                pasids = space.openSet("session-" + session.id(), quota);
            } else if (session.quotas().pasids() > 0) {
                LOG.log(System.Logger.Level.WARNING, "session " + session.id() + ": the PASID space has no room"
                        + " left; its containers get no PASIDs");
            }
        }
        return pasids;
    }

    @Override
    public void close(int container) {
        session.checkOpen();
        VfioContainer c = containers.remove(container);
        if (c == null) {
            throw badHandle(container);
        }
        c.close();
    }

    @Override
    public List<Integer> containers() {
        session.checkOpen();
        return List.copyOf(containers.keySet());
    }

    private <T> T with(int container, Function<VfioContainer, T> body) {
        session.checkOpen();
        VfioContainer c = containers.get(container);
        if (c == null) {
            throw badHandle(container);
        }
        return body.apply(c);
    }

    private static IommuException badHandle(int container) {
        return IommuException.of(Errno.EBADF, "no VFIO container %d in this session",
                Integer.toUnsignedLong(container));
    }

    @Override
    public int apiVersion(int container) {
        return with(container, VfioContainer::apiVersion);
    }

    @Override
    public int checkExtension(int container, int extension) {
        return with(container, c -> c.checkExtension(extension));
    }

    @Override
    public void setContainer(int container, int group) {
        with(container, c -> {
            c.setContainer(group);
            return null;
        });
    }

    @Override
    public void unsetContainer(int container, int group) {
        with(container, c -> {
            c.unsetContainer(group);
            return null;
        });
    }

    @Override
    public void setIommu(int container, int type) {
        with(container, c -> {
            c.setIommu(type);
            return null;
        });
    }

    @Override
    public VfioIommuInfo getInfo(int container, long argsz) {
        io.nestor.core.vfio.VfioIommuInfo info = with(container, c -> c.getInfo(argsz));
        return new VfioIommuInfo(info.argsz(), info.flags(), info.iovaPgsizes(), info.capOffset(), info.buffer());
    }

    @Override
    public void mapDma(int container, VfioDmaMap map) {
        with(container, c -> session.createCounted(0, () -> {
            c.mapDma(map.flags(), map.vaddr(), map.iova(), map.size());
            return null;
        }));
    }

    @Override
    public VfioDmaUnmapResult unmapDma(int container, VfioDmaUnmap unmap) {
        VfioUnmapResult r = with(container, c -> c.unmapDma(unmap.flags(), unmap.iova(), unmap.size(),
                bitmap(unmap.bitmap())));
        return new VfioDmaUnmapResult(r.size(), r.bitmap());
    }

    @Override
    public byte[] dirtyPages(int container, VfioDirtyPages request) {
        return with(container, c -> c.dirtyPages(request.flags(), request.iova(), request.size(),
                bitmap(request.bitmap())));
    }

    private static VfioBitmap bitmap(io.nestor.api.vfio.VfioBitmap b) {
        return b == null ? null : new VfioBitmap(b.pgsize(), b.size());
    }

    @Override
    public void nestingOp(int container, VfioNestingOp op) {
        with(container, c -> {
            c.nestingOp(op.flags(), op.data(), op.device());
            return null;
        });
    }

    @Override
    public int pasidRequest(int container, VfioPasidRequest request) {
        return with(container, c -> c.pasidRequest(request.flags(), request.min(), request.max()));
    }

    // ---- for the session ----------------------------------------------------------------------

    /** Containers plus the mappings in them, for the session's object quota. */
    int objectCount() {
        int count = 0;
        for (VfioContainer c : containers.values()) {
            count++;
            if (!c.isClosed()) {
                count += c.mappings().size();
            }
        }
        return count;
    }

    /**
     * Whether {@code bindingOwner} (an owner in the platform's device bindings) is one of this
     * session's containers: the device it claims is the session's.
     */
    boolean holds(Object bindingOwner) {
        for (VfioContainer c : containers.values()) {
            if (c.context() == bindingOwner) {
                return true;
            }
        }
        return false;
    }

    /**
     * Closes every container (bindings, PASID tables, mappings and their pins, groups), then the
     * PASID set (every PASID of the session freed), so that the regions can be destroyed next.
     */
    void closeAll() {
        List<VfioContainer> closing = new ArrayList<>();
        for (Integer handle : List.copyOf(containers.keySet())) {
            VfioContainer c = containers.remove(handle);
            if (c != null) {
                closing.add(c);
            }
        }
        for (VfioContainer c : closing) {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "session " + session.id() + ": closing a VFIO container failed", e);
            }
        }
        synchronized (this) {
            pasidsOpened = true; // no set is opened after the release
            if (pasids != null) {
                pasids.close();
                pasids = null;
            }
        }
    }
}
