package io.nestor.core.vfio;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.ioasid.IoasidSet;
import io.nestor.core.iommufd.ContextOptions;
import io.nestor.core.iommufd.IommufdContext;
import io.nestor.core.iommufd.IommufdPlatform;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.session.SessionMemory;
import io.nestor.core.unit.IommuUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One open VFIO container of a session ({@code /dev/vfio/vfio}; {@code struct vfio_container},
 * {@code drivers/vfio/container.c}) with its type1 backend ({@link Type1Iommu}) once
 * {@code VFIO_SET_IOMMU} chose one.
 *
 * <p>States, as the kernel's: a new container has neither groups nor an IOMMU; groups join
 * ({@link #setContainer}); {@link #setIommu} needs at least one group and opens the backend, which
 * attaches every group's device; later groups attach as they join; when the last group leaves, the
 * backend is released (every mapping, binding and domain goes) and the container is back to its
 * unset state. Every ioctl but GET_API_VERSION, CHECK_EXTENSION and SET_IOMMU needs the backend:
 * EINVAL without one ({@code vfio_fops_unl_ioctl} passes unknown ioctls only to a set driver).
 *
 * <p>Where this layer follows the kernel: argument checks and errno in the kernel's order (type1 of
 * Linux 6.x for MAP / UNMAP / GET_INFO / DIRTY_PAGES, the vSVA series v7 on 5.10 for the nesting ops
 * and PASID requests; a second SET_IOMMU is EINVAL, as {@code vfio_ioctl_set_iommu} answers).
 * Deliberate differences, each noted where it is made: VADDR (live update) is refused as an unknown
 * flag (CHECK_EXTENSION(UPDATE_VADDR) says 0); CACHE_INVLD reports a device's failure, which the
 * series ignored; a page response is not matched against outstanding requests; pinned memory is
 * not charged to an RLIMIT_MEMLOCK.
 *
 * <p>Thread-safe: every call takes the container's lock ({@code container->group_lock} and type1's
 * {@code iommu->lock} together). {@link #close()} must come before the session's memory goes.
 */
public final class VfioContainer implements AutoCloseable {
    private final DriverRegistry registry;
    private final VfioGroupTable groupTable;
    private final Object session;
    private final VfioContainerOptions options;
    private final IoasidSet pasids;
    /**
     * The container's own iommufd context over the session's memory: the DEVICE objects of its
     * groups (claimed in the platform's device bindings, so no iommufd context of any session can bind
     * them meanwhile), the IOAS and the HWPTs of the backend. Private, so nothing else can destroy
     * what the container relies on.
     */
    private final IommufdContext context;
    /** Group number to its device, in joining order. */
    private final Map<Integer, ContainerDevice> groups = new LinkedHashMap<>();
    private Type1Iommu iommu;
    private boolean closed;

    /**
     * @param platform the platform as iommufd contexts see it (its device bindings shared with them)
     * @param session the session that opened the container (groups are exclusive to one session)
     * @param memory the session's memory, which {@code vaddr} resolves in
     * @param pasids the session's PASID set ({@code vfio_mm}'s IOASID set), or null for a session
     *     without one (PASID requests and guest table binds are then refused)
     */
    public VfioContainer(IommufdPlatform platform, VfioGroupTable groupTable, Object session, SessionMemory memory,
            ContextOptions contextOptions, VfioContainerOptions options, IoasidSet pasids) {
        this.registry = platform.registry();
        this.groupTable = groupTable;
        this.session = session;
        this.options = options;
        this.pasids = pasids;
        this.context = new IommufdContext(contextOptions.withVfioCompat(true), memory, platform);
    }

    /** {@code VFIO_GET_API_VERSION}. */
    public synchronized int apiVersion() {
        checkOpen();
        return VfioExtension.API_VERSION;
    }

    /**
     * {@code VFIO_CHECK_EXTENSION}: the answer type1 gives, with or without a backend (without one,
     * the VFIO core polls type1 with no {@code iommu}).
     * <ul>
     *   <li>TYPE1, TYPE1v2, UNMAP_ALL: 1 — type1's own.</li>
     *   <li>TYPE1_NESTING: 1 when every unit concerned is nesting-capable (the units of the
     *       container's groups, or every unit of the platform while it has none) — the vSVA series'
     *       type1 answered 1 whenever built with nesting; here it depends on the hardware, so that
     *       SET_IOMMU of it cannot fail later for lack of it.</li>
     *   <li>DMA_CC_IOMMU: 1 once a backend exists — every domain enforces cache coherency because
     *       the platform's DMA has no non-coherent path (all memory is one coherent store); 0
     *       without a backend, as type1 answers with no {@code iommu}.</li>
     *   <li>UPDATE_VADDR: 0 — live update of a mapping's vaddr is not offered, so MAP / UNMAP with
     *       VADDR are refused (EINVAL) as unknown flags.</li>
     *   <li>everything else (SPAPR, EEH, NOIOMMU, unknown): 0.</li>
     * </ul>
     */
    public synchronized int checkExtension(int extension) {
        checkOpen();
        switch (extension) {
            case VfioExtension.TYPE1_IOMMU:
            case VfioExtension.TYPE1V2_IOMMU:
            case VfioExtension.UNMAP_ALL:
                return 1;
            case VfioExtension.TYPE1_NESTING_IOMMU:
                return nestingCapable() ? 1 : 0;
            case VfioExtension.DMA_CC_IOMMU:
                return iommu != null && iommu.cacheCoherent() ? 1 : 0;
            default:
                return 0;
        }
    }

    /** Whether every unit the container's groups sit behind (every unit, before the first group) nests. */
    private boolean nestingCapable() {
        if (groups.isEmpty()) {
            List<IommuUnit> units = registry.runtimeUnits();
            return !units.isEmpty() && units.stream().allMatch(u -> u.features().nesting());
        }
        for (ContainerDevice d : groups.values()) {
            IommuUnit u = registry.runtimeUnit(d.info().unit()).orElse(null);
            if (u == null || !u.features().nesting()) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code VFIO_GROUP_SET_CONTAINER}: ENOENT for a group the platform lacks; EBUSY when another
     * session holds it, or when an iommufd context holds its device (the DMA-ownership claim); EINVAL
     * when it is already in a container of this session; with a backend, the backend's attach errors
     * (nothing changes then).
     */
    public synchronized void setContainer(int group) {
        checkOpen();
        DeviceInfo device = groupTable.device(group);
        groupTable.claim(group, session, this);
        int devId = 0;
        try {
            devId = context.devices().bind(device.name());
            ContainerDevice member = new ContainerDevice(group, device, devId);
            if (iommu != null) {
                iommu.attach(member);
            }
            groups.put(group, member);
        } catch (RuntimeException e) {
            if (devId != 0) {
                context.devices().unbind(devId);
            }
            groupTable.release(group, this);
            throw e;
        }
    }

    /**
     * {@code VFIO_GROUP_UNSET_CONTAINER}: EINVAL for a group not in this container. The last group
     * leaving releases the backend.
     */
    public synchronized void unsetContainer(int group) {
        checkOpen();
        ContainerDevice member = groups.get(group);
        if (member == null) {
            throw IommuException.of(Errno.EINVAL, "IOMMU group %d is not in this container",
                    Integer.toUnsignedLong(group));
        }
        if (iommu != null) {
            if (groups.size() == 1) {
                iommu.release(List.of(member));
                iommu = null;
            } else {
                iommu.detach(member);
            }
        }
        groups.remove(group);
        context.devices().unbind(member.devId());
        groupTable.release(group, this);
    }

    /**
     * {@code VFIO_SET_IOMMU} ({@code vfio_ioctl_set_iommu}): EINVAL without a group or with a backend
     * already set (the kernel's answer to a second SET_IOMMU); ENODEV for a type no backend reports
     * through CHECK_EXTENSION (asked with no backend: SPAPR, DMA_CC, TYPE1_NESTING on hardware
     * without nesting, unknown); EINVAL for a type type1 reports but cannot open (UNMAP_ALL); then
     * every group attaches, and any failing undoes the others and the backend.
     */
    public synchronized void setIommu(int type) {
        checkOpen();
        if (groups.isEmpty() || iommu != null) {
            throw IommuException.of(Errno.EINVAL, groups.isEmpty() ? "SET_IOMMU: the container has no group"
                    : "SET_IOMMU: the container's IOMMU is already set");
        }
        if (checkExtension(type) <= 0) { // asked with no backend, as vfio_ioctl_set_iommu asks type1
            throw IommuException.of(Errno.ENODEV, "SET_IOMMU: no IOMMU driver supports type %d",
                    Integer.toUnsignedLong(type));
        }
        Type1Iommu opened = new Type1Iommu(type, registry, context, options, pasids);
        List<ContainerDevice> attached = new ArrayList<>();
        try {
            for (ContainerDevice d : groups.values()) {
                opened.attach(d);
                attached.add(d);
            }
        } catch (RuntimeException e) {
            opened.release(attached);
            throw e;
        }
        iommu = opened;
    }

    /** {@code VFIO_IOMMU_GET_INFO} for a caller buffer of {@code argsz} bytes (unsigned 32-bit). */
    public synchronized VfioIommuInfo getInfo(long argsz) {
        return backend().getInfo(argsz);
    }

    /**
     * {@code VFIO_IOMMU_MAP_DMA}: EINVAL for a flag other than READ / WRITE (VADDR included, see
     * {@link #checkExtension}); then {@link Type1Iommu#map}'s rules. {@code vaddr} is a session
     * virtual address. (The kernel's "does not fit the native width" EINVAL cannot arise on a 64-bit
     * host.)
     */
    public synchronized void mapDma(int flags, long vaddr, long iova, long size) {
        Type1Iommu t = backend();
        if ((flags & ~(VfioDmaFlags.MAP_READ | VfioDmaFlags.MAP_WRITE)) != 0) {
            throw IommuException.of(Errno.EINVAL, "MAP_DMA flags 0x%x name unknown bits", flags);
        }
        t.map(flags, vaddr, iova, size);
    }

    /**
     * {@code VFIO_IOMMU_UNMAP_DMA}: EINVAL for an unknown flag (VADDR included) or GET_DIRTY_BITMAP
     * with ALL; with GET_DIRTY_BITMAP, EINVAL when no {@code struct vfio_bitmap} follows or its size
     * does not fit the range ({@code verify_bitmap_size}); then {@link Type1Iommu#unmap}'s rules.
     *
     * @param bitmap the {@code struct vfio_bitmap} after the struct, or null when argsz stops before it
     */
    public synchronized VfioUnmapResult unmapDma(int flags, long iova, long size, VfioBitmap bitmap) {
        Type1Iommu t = backend();
        if ((flags & ~(VfioDmaFlags.UNMAP_GET_DIRTY_BITMAP | VfioDmaFlags.UNMAP_ALL)) != 0) {
            throw IommuException.of(Errno.EINVAL, "UNMAP_DMA flags 0x%x name unknown bits", flags);
        }
        boolean wantBitmap = (flags & VfioDmaFlags.UNMAP_GET_DIRTY_BITMAP) != 0;
        if (wantBitmap && (flags & VfioDmaFlags.UNMAP_ALL) != 0) {
            throw IommuException.of(Errno.EINVAL, "UNMAP_DMA GET_DIRTY_BITMAP cannot go with ALL");
        }
        if (wantBitmap) {
            if (bitmap == null) {
                throw IommuException.of(Errno.EINVAL, "UNMAP_DMA GET_DIRTY_BITMAP: argsz leaves no vfio_bitmap");
            }
            Type1Iommu.verifyBitmapSize(size, bitmap);
        }
        return t.unmap(flags, iova, size, wantBitmap ? bitmap : null);
    }

    /**
     * {@code VFIO_IOMMU_DIRTY_PAGES}: EACCES for a v1 backend; EINVAL for unknown flags or not exactly
     * one flag; then START / STOP / GET_BITMAP ({@link Type1Iommu#dirtyPages}).
     *
     * @param bitmap with GET_BITMAP, the range's {@code struct vfio_bitmap}; null when argsz stops
     *     before the {@code vfio_iommu_type1_dirty_bitmap_get}
     * @return the bitmap for GET_BITMAP, else empty
     */
    public synchronized byte[] dirtyPages(int flags, long iova, long size, VfioBitmap bitmap) {
        Type1Iommu t = backend();
        if (!t.v2()) {
            throw IommuException.of(Errno.EACCES, "DIRTY_PAGES needs a TYPE1v2 container");
        }
        int known = VfioDmaFlags.DIRTY_PAGES_START | VfioDmaFlags.DIRTY_PAGES_STOP
                | VfioDmaFlags.DIRTY_PAGES_GET_BITMAP;
        if ((flags & ~known) != 0 || Integer.bitCount(flags) != 1) {
            throw IommuException.of(Errno.EINVAL, "DIRTY_PAGES flags 0x%x: need exactly one of START, STOP, GET_BITMAP",
                    flags);
        }
        return t.dirtyPages(flags, iova, size, bitmap);
    }

    /**
     * {@code VFIO_IOMMU_NESTING_OP}: EINVAL for flags beyond the op mask or an unknown op, or a named
     * device not in the container; then {@link Type1Iommu#nestingOp}.
     *
     * @param device the device the op is for, or null for every device of the container
     */
    public synchronized void nestingOp(int flags, byte[] data, String device) {
        Type1Iommu t = backend();
        if ((flags & ~VfioNestingOps.OP_MASK) != 0) {
            throw IommuException.of(Errno.EINVAL, "NESTING_OP flags 0x%x beyond the op mask", flags);
        }
        int op = flags & VfioNestingOps.OP_MASK;
        if (op > VfioNestingOps.PAGE_RESP) {
            throw IommuException.of(Errno.EINVAL, "NESTING_OP op %d unknown", op);
        }
        DeviceInfo target = null;
        if (device != null && !device.isEmpty()) {
            for (ContainerDevice d : groups.values()) {
                if (d.info().name().equals(device)) {
                    target = d.info();
                }
            }
            if (target == null) {
                throw IommuException.of(Errno.EINVAL, "NESTING_OP: device %s is not in this container", device);
            }
        }
        t.nestingOp(op, data, target);
    }

    /**
     * {@code VFIO_IOMMU_PASID_REQUEST}: EINVAL for unknown flags, {@code min > max} (unsigned), or
     * neither or both of ALLOC and FREE; then ALLOC returns a PASID of the session's set (EOPNOTSUPP
     * without system-wide PASIDs, EINVAL beyond 31 bits, ENOSPC at the quota or with no free PASID),
     * FREE frees the session's PASIDs in the range and returns 0.
     */
    public synchronized int pasidRequest(int flags, int min, int max) {
        Type1Iommu t = backend();
        if ((flags & ~VfioNestingOps.PASID_REQUEST_MASK) != 0) {
            throw IommuException.of(Errno.EINVAL, "PASID_REQUEST flags 0x%x name unknown bits", flags);
        }
        if (Integer.compareUnsigned(min, max) > 0) {
            throw IommuException.of(Errno.EINVAL, "PASID_REQUEST range [%d, %d]: min > max",
                    Integer.toUnsignedLong(min), Integer.toUnsignedLong(max));
        }
        switch (flags) {
            case VfioNestingOps.PASID_ALLOC:
                return t.allocatePasid(min, max);
            case VfioNestingOps.PASID_FREE:
                t.freePasids(min, max);
                return 0;
            default:
                throw IommuException.of(Errno.EINVAL, "PASID_REQUEST flags 0x%x: need ALLOC or FREE", flags);
        }
    }

    /** Closes the container: releases the backend (mappings, bindings, domains) and every group. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (iommu != null) {
            iommu.release(new ArrayList<>(groups.values()));
            iommu = null;
        }
        context.close(); // the DEVICE objects go: the devices' claims are released
        for (int g : groups.keySet()) {
            groupTable.release(g, this);
        }
        groups.clear();
    }

    // ---- views for the shell, the gateway and tests --------------------------------------------

    public synchronized boolean iommuSet() {
        return iommu != null;
    }

    public synchronized List<Integer> groups() {
        return List.copyOf(groups.keySet());
    }

    /** The mappings as {@code [iova, size, vaddr, prot]}, by IOVA. */
    public synchronized List<long[]> mappings() {
        List<long[]> out = new ArrayList<>();
        if (iommu != null) {
            for (VfioDma d : iommu.mappings()) {
                out.add(new long[] {d.iova(), d.size(), d.vaddr(), d.prot()});
            }
        }
        return out;
    }

    /** Host PASIDs with a guest table bound through this container. */
    public synchronized List<Integer> boundPasids() {
        return iommu == null ? List.of() : iommu.boundPasids();
    }

    /**
     * The HWPT_PAGING id of the container's stage-2 domain on the unit named, in {@link #context()},
     * or 0.
     */
    public synchronized int hwptId(String unitName) {
        return iommu == null ? 0 : iommu.hwptId(unitName);
    }

    /** The container's private iommufd context (for the shell and tests; its objects are the container's). */
    public IommufdContext context() {
        return context;
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    private Type1Iommu backend() {
        checkOpen();
        if (iommu == null) {
            throw IommuException.of(Errno.EINVAL, "the container's IOMMU is not set (VFIO_SET_IOMMU)");
        }
        return iommu;
    }

    private void checkOpen() {
        if (closed) {
            throw IommuException.of(Errno.EBADF, "the container is closed");
        }
    }
}
