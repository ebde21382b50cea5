package io.nestor.core.vfio;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.ioasid.IoasidSet;
import io.nestor.core.ioasid.IoasidSpace;
import io.nestor.core.iommufd.DirtyTracking;
import io.nestor.core.iommufd.DriverCleanup;
import io.nestor.core.iommufd.HwptAllocCommand;
import io.nestor.core.iommufd.HwptAllocFlags;
import io.nestor.core.iommufd.HwptPaging;
import io.nestor.core.iommufd.IoasMapCommand;
import io.nestor.core.iommufd.IoasMapFlags;
import io.nestor.core.iommufd.IommufdContext;
import io.nestor.core.iommufd.IovaRange;
import io.nestor.core.iommufd.ObjectRef;
import io.nestor.core.iommufd.ObjectType;
import io.nestor.core.iommufd.UnitDriver;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.unit.IommuUnit;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The type1 IOMMU backend of one container after {@code VFIO_SET_IOMMU} ({@code struct vfio_iommu},
 * {@code drivers/vfio/vfio_iommu_type1.c}, with the vSVA series' nesting additions): the mappings,
 * one stage-2 domain per unit, the dirty-tracking state, and in TYPE1_NESTING mode the nesting info,
 * the guest page tables bound and the PASID tables set.
 *
 * <p>The machinery underneath is iommufd's, in the container's private {@link IommufdContext}: one
 * IOAS; every {@link VfioDma} is one area of it (MAP with a fixed IOVA), so the pin and the
 * mirroring into every domain are the IOAS's; each unit's domain is an HWPT_PAGING on that IOAS
 * allocated through HWPT_ALLOC (NEST_PARENT in TYPE1_NESTING mode, DIRTY_TRACKING otherwise when the
 * unit can), and the devices are attached to it as a VFIO cdev would attach them. The type1 rules —
 * argument checks in type1's order, the {@code dma_entry_limit}, the v1 / v2 unmap semantics, the
 * dirty bitmaps — are applied here, on type1's own mapping tree, before the IOAS is touched; so a
 * call either takes full effect or fails with nothing changed.
 *
 * <p>An IOMMU-backed mediated device joins as its parent's default PASID (the aux-domain attach of
 * the kernel's IOMMU-backed mdevs): it gets a domain of its own per unit, allocated PASID-compatible
 * and without dirty tracking (VT-d refuses dirty tracking on PASID entries), shared by the mediated
 * devices of that unit, as type1 puts a group into a new domain when the existing ones refuse it.
 * TYPE1_NESTING refuses it (EINVAL): its operations bind guest tables and PASID tables to the
 * device's own PASIDs, and a mediated device has none.
 *
 * <p>Guarded by the owning {@link VfioContainer}'s lock (type1's {@code iommu->lock}).
 */
final class Type1Iommu {
    private final DriverRegistry registry;
    private final VfioContainerOptions options;
    private final IoasidSet pasids;
    private final boolean v2;
    private final boolean nesting;
    private final IommufdContext context;
    private final long hostPageSize;
    private final int ioasId;
    private final Map<String, UnitDomain> domains = new LinkedHashMap<>();
    private final TreeMap<Long, VfioDma> dmas = new TreeMap<>(Long::compareUnsigned);
    private boolean dirtyTracking;
    /** {@code iommu->nesting_info}: set by the first attach in TYPE1_NESTING mode. */
    private byte[] nestingInfo;
    private int nestingFeatures;
    /** Host PASIDs with a guest page table bound, with the bind data (needed again to unbind). */
    private final Map<Integer, byte[]> boundPasids = new TreeMap<>();
    /** Devices whose PASID (CD) table the guest set. */
    private final List<DeviceInfo> pasidTables = new ArrayList<>();

    /** One {@code struct vfio_domain}: a unit's HWPT_PAGING in the private context and its devices. */
    private static final class UnitDomain {
        final IommuUnit unit;
        final int hwptId;
        final DomainDescriptor descriptor;
        final long pageSizes;
        final boolean dirtyCapable;
        final List<ContainerDevice> devices = new ArrayList<>();

        UnitDomain(IommuUnit unit, int hwptId, DomainDescriptor descriptor, long pageSizes, boolean dirtyCapable) {
            this.unit = unit;
            this.hwptId = hwptId;
            this.descriptor = descriptor;
            this.pageSizes = pageSizes;
            this.dirtyCapable = dirtyCapable;
        }

        List<DeviceInfo> infos() {
            List<DeviceInfo> out = new ArrayList<>();
            for (ContainerDevice d : devices) {
                out.add(d.info());
            }
            return out;
        }
    }

    /**
     * {@code vfio_iommu_type1_open}: TYPE1 (v1 semantics), TYPE1v2, or TYPE1_NESTING (v2 with
     * nesting); any other type, EINVAL. The IOAS is made in {@code context}, the container's.
     */
    Type1Iommu(int type, DriverRegistry registry, IommufdContext context, VfioContainerOptions options,
            IoasidSet pasids) {
        switch (type) {
            case VfioExtension.TYPE1_IOMMU:
                v2 = false;
                nesting = false;
                break;
            case VfioExtension.TYPE1V2_IOMMU:
                v2 = true;
                nesting = false;
                break;
            case VfioExtension.TYPE1_NESTING_IOMMU:
                v2 = true;
                nesting = true;
                break;
            default:
                throw IommuException.of(Errno.EINVAL, "IOMMU type %d is not a type1 type", type);
        }
        this.registry = registry;
        this.options = options;
        this.pasids = pasids;
        this.context = context;
        this.hostPageSize = context.options().pageSize();
        this.ioasId = context.ioas().alloc(0);
    }

    boolean v2() {
        return v2;
    }

    boolean nesting() {
        return nesting;
    }

    // ---- groups ----------------------------------------------------------------------------------

    /**
     * {@code vfio_iommu_type1_attach_group} for a one-device group: the device joins its unit's
     * domain, which is allocated (and filled with every mapping) for the unit's first device. In
     * TYPE1_NESTING mode the container holds one group only (EINVAL otherwise, as the series), and
     * the first attach records the nesting info.
     *
     * @throws IommuException EINVAL (a second group in nesting mode; the new domain's aperture or
     *     page size cannot hold the existing mappings); the driver's errno; nothing changed then
     */
    void attach(ContainerDevice device) {
        if (nesting && !domains.isEmpty()) {
            throw IommuException.of(Errno.EINVAL, "a TYPE1_NESTING container holds one group; %s cannot join",
                    device.info().name());
        }
        boolean mediated = mediated(device);
        if (nesting && mediated) {
            throw IommuException.of(Errno.EINVAL, "mediated device %s cannot join a TYPE1_NESTING container: it has"
                    + " no PASIDs of its own to bind", device.info().name());
        }
        IommuUnit unit = registry.unitOf(device.info());
        String key = domainKey(device);
        UnitDomain ud = domains.get(key);
        boolean created = ud == null;
        if (created) {
            ud = newDomain(unit, device, mediated);
        }
        try {
            context.devices().attach(device.devId(), DeviceInfo.NO_PASID, ud.hwptId);
        } catch (RuntimeException e) {
            if (created) {
                context.destroy(ud.hwptId);
            }
            throw e;
        }
        ud.devices.add(device);
        if (created) {
            domains.put(key, ud);
            if (dirtyTracking) {
                setHardwareTracking(ud, true);
            }
            if (nesting) {
                recordNestingInfo(ud);
            }
        }
    }

    /**
     * The unit's domain: HWPT_ALLOC of a paging HWPT on the IOAS, a nest parent in TYPE1_NESTING mode,
     * else with DIRTY_TRACKING when the unit reports it (so DIRTY_PAGES reads the second stage's dirty
     * bits). A nest parent is allocated without it: SMMUv3 refuses the combination and type1 never
     * asked for it.
     */
    private UnitDomain newDomain(IommuUnit unit, ContainerDevice device, boolean mediated) {
        int flags;
        if (mediated) {
            flags = HwptAllocFlags.PASID;
        } else if (nesting) {
            flags = HwptAllocFlags.NEST_PARENT;
        } else {
            HwInfo hw = UnitDriver.call(registry, unit, d -> d.hwInfo(unit));
            flags = hw != null && (hw.capabilities() & HwInfo.CAP_DIRTY_TRACKING) != 0 ? HwptAllocFlags.DIRTY_TRACKING
                    : 0;
        }
        int hwptId;
        try {
            hwptId = context.hwpts().alloc(HwptAllocCommand.paging(flags, device.devId(), ioasId));
        } catch (IommuException e) {
            // type1 answers a conflicting aperture or a page size the existing mappings do not fit with
            // EINVAL (vfio_iommu_aper_conflict, the replay's iommu_map)
            if (e.errno() == Errno.EADDRINUSE) {
                throw IommuException.of(Errno.EINVAL, "%s: the new domain cannot hold the mappings: %s",
                        unit.name(), e.getMessage());
            }
            throw e;
        }
        try (ObjectRef<HwptPaging> ref = context.objects().get(hwptId, ObjectType.HWPT_PAGING, HwptPaging.class)) {
            HwptPaging h = ref.get();
            return new UnitDomain(unit, hwptId, h.descriptor(), h.domain().pageSizes(), h.dirtyCapable());
        }
    }

    /** The vSVA series' {@code DOMAIN_ATTR_NESTING} query, from the unit's hw_info. */
    private void recordNestingInfo(UnitDomain ud) {
        HwInfo hw = UnitDriver.call(registry, ud.unit, d -> d.hwInfo(ud.unit));
        boolean vtd = IommuDriver.KIND_INTEL_VTD.equals(ud.unit.kind());
        int features = IommuNestingInfo.FEAT_CACHE_INVLD;
        if (vtd) {
            // VT-d: PASIDs are system-wide (host allocated through PASID_REQUEST) and guest tables are
            // bound per PASID
            features |= IommuNestingInfo.FEAT_SYSWIDE_PASID | IommuNestingInfo.FEAT_BIND_PGTBL;
        }
        if (ud.unit.features().pageRequests() || (!vtd && ud.unit.features().stall())) {
            features |= IommuNestingInfo.FEAT_PAGE_RESP;
        }
        nestingFeatures = features;
        nestingInfo = IommuNestingInfo.encode(vtd ? IommuNestingInfo.FORMAT_INTEL_VTD : IommuNestingInfo.FORMAT_SMMUV3,
                features, ud.descriptor.addressWidth(), hw == null ? 0 : hw.maxPasidLog2(),
                hw == null ? new byte[0] : hw.data());
    }

    /**
     * {@code vfio_iommu_type1_detach_group}: in nesting mode the PASIDs bound and the PASID table set
     * are undone first (the series unbinds every PASID of the VM from the group's devices); the device
     * is detached (its DEVICE object stays, the container's claim); a domain left without devices is
     * destroyed.
     */
    void detach(ContainerDevice device) {
        String key = domainKey(device);
        UnitDomain ud = domains.get(key);
        if (ud == null || !ud.devices.contains(device)) {
            return;
        }
        DeviceInfo info = device.info();
        if (nesting) {
            for (byte[] data : boundPasids.values()) {
                DriverCleanup.run(registry, ud.unit, "unbindGuestPasid at teardown",
                        d -> d.unbindGuestPasid(ud.unit, info, ud.descriptor, data));
            }
            if (pasidTables.remove(info)) {
                DriverCleanup.run(registry, ud.unit, "unsetPasidTable at teardown",
                        d -> d.unsetPasidTable(ud.unit, info, ud.descriptor));
            }
        }
        context.devices().detach(device.devId(), DeviceInfo.NO_PASID);
        ud.devices.remove(device);
        if (ud.devices.isEmpty()) {
            domains.remove(key);
            context.destroy(ud.hwptId);
        }
    }

    /**
     * {@code vfio_iommu_type1_release}: everything goes — bindings, mappings (their pins), domains,
     * the IOAS.
     */
    void release(List<ContainerDevice> devices) {
        for (ContainerDevice d : devices) {
            detach(d);
        }
        for (int pasid : boundPasids.keySet()) {
            pasids.put(pasid);
        }
        boundPasids.clear();
        dmas.clear();
        context.destroy(ioasId); // unmaps every area: the pins go back
    }

    // ---- CHECK_EXTENSION and GET_INFO ----------------------------------------------------------

    /** {@code VFIO_DMA_CC_IOMMU} with a backend: every domain enforces coherency (see the container). */
    boolean cacheCoherent() {
        return true;
    }

    /** {@code iommu->pgsize_bitmap}: the domains' page sizes ANDed, sub-page sizes folded to the page. */
    long pgsizeBitmap() {
        long bitmap = -1L;
        for (UnitDomain ud : domains.values()) {
            bitmap &= ud.pageSizes;
        }
        if ((bitmap & (hostPageSize - 1)) != 0) {
            bitmap &= ~(hostPageSize - 1);
            bitmap |= hostPageSize;
        }
        return bitmap;
    }

    private long minPageSize() {
        return Long.lowestOneBit(pgsizeBitmap());
    }

    /** {@code iommu->iova_list}: the IOVAs every domain can translate. */
    List<IovaRange> iovaRanges() {
        return context.ioas().iovaRanges(ioasId, Integer.MAX_VALUE, 0).ranges();
    }

    int dmaAvail() {
        return options.dmaEntryLimit() - dmas.size();
    }

    /**
     * {@code vfio_iommu_type1_get_info}: capabilities in the order type1 adds them — MIGRATION,
     * DMA_AVAIL, IOVA_RANGE — then the series' NESTING capability in TYPE1_NESTING mode.
     */
    VfioIommuInfo getInfo(long argsz) {
        if (Long.compareUnsigned(argsz, VfioIommuInfo.MIN_SIZE) < 0) {
            throw IommuException.of(Errno.EINVAL, "GET_INFO argsz %d below %d", argsz, VfioIommuInfo.MIN_SIZE);
        }
        VfioInfoCaps caps = new VfioInfoCaps();
        caps.add(VfioIommuInfo.CAP_MIGRATION, 1, ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0, 0).putLong(8, minPageSize()).putLong(16, VfioBitmap.SIZE_MAX).array());
        caps.add(VfioIommuInfo.CAP_DMA_AVAIL, 1,
                ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, dmaAvail()).array());
        List<IovaRange> ranges = iovaRanges();
        if (!ranges.isEmpty()) {
            ByteBuffer b = ByteBuffer.allocate(8 + 16 * ranges.size()).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(0, ranges.size()).putInt(4, 0);
            for (int i = 0; i < ranges.size(); i++) {
                b.putLong(8 + 16 * i, ranges.get(i).start()).putLong(16 + 16 * i, ranges.get(i).last());
            }
            caps.add(VfioIommuInfo.CAP_IOVA_RANGE, 1, b.array());
        }
        if (nestingInfo != null) {
            caps.add(VfioIommuInfo.CAP_NESTING, 1, nestingInfo);
        }
        return VfioIommuInfo.write(argsz, pgsizeBitmap(), caps);
    }

    // ---- MAP_DMA / UNMAP_DMA -------------------------------------------------------------------

    /**
     * {@code vfio_iommu_type1_map_dma} / {@code vfio_dma_do_map}, after the flags check: in order,
     * EINVAL (no READ / WRITE, size 0, size / iova / vaddr not aligned to the smallest IOMMU page,
     * iova or vaddr wrapping), EEXIST (an existing mapping overlaps), ENOSPC (DMA_AVAIL is 0), EINVAL
     * (outside the valid IOVA ranges), then the pin's EFAULT (not session memory, or WRITE into a
     * read-only region) and the domains' ENOMEM.
     */
    void map(int flags, long vaddr, long iova, long size) {
        long pgsize = minPageSize();
        if ((flags & (VfioDmaFlags.MAP_READ | VfioDmaFlags.MAP_WRITE)) == 0) {
            throw IommuException.of(Errno.EINVAL, "MAP_DMA flags 0x%x grant neither READ nor WRITE", flags);
        }
        if (size == 0 || ((size | iova | vaddr) & (pgsize - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL,
                    "MAP_DMA size 0x%x iova 0x%x vaddr 0x%x: zero or not aligned to the 0x%x page", size, iova, vaddr,
                    pgsize);
        }
        if (Long.compareUnsigned(iova + size - 1, iova) < 0 || Long.compareUnsigned(vaddr + size - 1, vaddr) < 0) {
            throw IommuException.of(Errno.EINVAL, "MAP_DMA iova 0x%x or vaddr 0x%x + size 0x%x wraps", iova, vaddr,
                    size);
        }
        VfioDma overlap = firstMeeting(iova, iova + size - 1);
        if (overlap != null) {
            throw IommuException.of(Errno.EEXIST, "MAP_DMA [0x%x, 0x%x] overlaps %s", iova, iova + size - 1, overlap);
        }
        if (dmaAvail() <= 0) {
            throw IommuException.of(Errno.ENOSPC, "MAP_DMA: the container holds its limit of %d mappings",
                    options.dmaEntryLimit());
        }
        if (!iovaValid(iova, iova + size - 1)) {
            throw IommuException.of(Errno.EINVAL, "MAP_DMA [0x%x, 0x%x] lies outside the valid IOVA ranges %s", iova,
                    iova + size - 1, iovaRanges());
        }
        int ioasFlags = IoasMapFlags.FIXED_IOVA;
        if ((flags & VfioDmaFlags.MAP_READ) != 0) {
            ioasFlags |= IoasMapFlags.READABLE;
        }
        if ((flags & VfioDmaFlags.MAP_WRITE) != 0) {
            ioasFlags |= IoasMapFlags.WRITEABLE;
        }
        context.ioas().map(new IoasMapCommand(ioasFlags, ioasId, 0, vaddr, size, iova));
        dmas.put(iova, new VfioDma(iova, size, vaddr, flags & (VfioDmaFlags.MAP_READ | VfioDmaFlags.MAP_WRITE)));
    }

    /** {@code vfio_iommu_iova_dma_valid}: inside one valid range. */
    private boolean iovaValid(long start, long last) {
        for (IovaRange r : iovaRanges()) {
            if (Long.compareUnsigned(start, r.start()) >= 0 && Long.compareUnsigned(last, r.last()) <= 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code vfio_dma_do_unmap}, after the flag and bitmap-size checks: EINVAL for an iova not aligned
     * to the smallest page; with ALL, anything but iova = size = 0; otherwise size 0, unaligned or
     * wrapping; a bitmap while dirty tracking is off or of another page size; with v2, a mapping cut
     * at either end of the range. v1 stops at the first mapping that starts before iova and removes
     * whole mappings whose first IOVA the range covers.
     */
    VfioUnmapResult unmap(int flags, long iova, long size, VfioBitmap bitmap) {
        long pgsize = minPageSize();
        boolean all = (flags & VfioDmaFlags.UNMAP_ALL) != 0;
        if ((iova & (pgsize - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "UNMAP_DMA iova 0x%x not aligned to the 0x%x page", iova, pgsize);
        }
        if (all) {
            if (iova != 0 || size != 0) {
                throw IommuException.of(Errno.EINVAL, "UNMAP_DMA ALL needs iova and size 0, got 0x%x, 0x%x", iova,
                        size);
            }
            size = -1L; // U64_MAX
        } else if (size == 0 || (size & (pgsize - 1)) != 0 || Long.compareUnsigned(iova + size - 1, iova) < 0) {
            throw IommuException.of(Errno.EINVAL, "UNMAP_DMA size 0x%x at 0x%x: zero, unaligned to 0x%x or wrapping",
                    size, iova, pgsize);
        }
        if (bitmap != null && (!dirtyTracking || bitmap.pgsize() != pgsize)) {
            throw IommuException.of(Errno.EINVAL, "UNMAP_DMA bitmap of page 0x%x: dirty tracking %s, page 0x%x",
                    bitmap.pgsize(), dirtyTracking ? "on" : "off", pgsize);
        }
        long last = iova + size - 1;
        if (v2 && !all) {
            checkNotCut(iova, last, "UNMAP_DMA");
        }
        List<VfioDma> victims = new ArrayList<>();
        for (VfioDma dma : meeting(iova, last)) {
            if (!v2 && Long.compareUnsigned(iova, dma.iova()) > 0) {
                break;
            }
            victims.add(dma);
        }
        byte[] out = new byte[0];
        if (bitmap != null) {
            DirtyBitmap bits = new DirtyBitmap(iova, pgsize, size >>> Long.numberOfTrailingZeros(pgsize));
            for (VfioDma dma : victims) {
                collectDirty(dma, pgsize, bits);
            }
            out = bits.toBytes();
        }
        long unmapped = 0;
        for (VfioDma dma : victims) {
            context.ioas().unmap(ioasId, dma.iova(), dma.size());
            dmas.remove(dma.iova());
            unmapped += dma.size();
        }
        return new VfioUnmapResult(unmapped, out);
    }

    /** The v2 rule: no mapping may start before {@code iova} or end after {@code last} while meeting it. */
    private void checkNotCut(long iova, long last, String what) {
        VfioDma first = containing(iova);
        if (first != null && first.iova() != iova) {
            throw IommuException.of(Errno.EINVAL, "%s [0x%x, 0x%x] would split %s", what, iova, last, first);
        }
        VfioDma end = containing(last);
        if (end != null && end.last() != last) {
            throw IommuException.of(Errno.EINVAL, "%s [0x%x, 0x%x] would split %s", what, iova, last, end);
        }
    }

    // ---- DIRTY_PAGES ---------------------------------------------------------------------------

    /**
     * {@code vfio_iommu_type1_dirty_pages} after the v2, flags and one-flag checks: START and STOP
     * (idempotent), GET_BITMAP (EINVAL: wrapping range, bitmap too small or too large, page size not
     * the smallest, iova or size unaligned or size 0, tracking off, a mapping cut by the range).
     */
    byte[] dirtyPages(int flags, long iova, long size, VfioBitmap bitmap) {
        if (flags == VfioDmaFlags.DIRTY_PAGES_START) {
            if (!dirtyTracking) {
                for (UnitDomain ud : domains.values()) {
                    setHardwareTracking(ud, true); // a clean snapshot of the second stage
                }
                dirtyTracking = true;
            }
            return new byte[0];
        }
        if (flags == VfioDmaFlags.DIRTY_PAGES_STOP) {
            if (dirtyTracking) {
                for (UnitDomain ud : domains.values()) {
                    setHardwareTracking(ud, false);
                }
                dirtyTracking = false;
            }
            return new byte[0];
        }
        // GET_BITMAP
        if (bitmap == null) {
            throw IommuException.of(Errno.EINVAL, "DIRTY_PAGES GET_BITMAP without a vfio_iommu_type1_dirty_bitmap_get");
        }
        if (Long.compareUnsigned(iova + size, iova) < 0) {
            throw IommuException.of(Errno.EINVAL, "GET_BITMAP iova 0x%x + size 0x%x wraps", iova, size);
        }
        verifyBitmapSize(size, bitmap);
        long pgsize = minPageSize();
        if (bitmap.pgsize() != pgsize) {
            throw IommuException.of(Errno.EINVAL, "GET_BITMAP page size 0x%x is not the smallest IOMMU page 0x%x",
                    bitmap.pgsize(), pgsize);
        }
        if ((iova & (pgsize - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "GET_BITMAP iova 0x%x not aligned to 0x%x", iova, pgsize);
        }
        if (size == 0 || (size & (pgsize - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "GET_BITMAP size 0x%x zero or not aligned to 0x%x", size, pgsize);
        }
        if (!dirtyTracking) {
            throw IommuException.of(Errno.EINVAL, "GET_BITMAP while dirty tracking is not started");
        }
        long last = iova + size - 1;
        checkNotCut(iova, last, "GET_BITMAP");
        DirtyBitmap bits = new DirtyBitmap(iova, pgsize, size >>> Long.numberOfTrailingZeros(pgsize));
        for (VfioDma dma : meeting(iova, last)) {
            collectDirty(dma, pgsize, bits);
        }
        return bits.toBytes();
    }

    /**
     * {@code verify_bitmap_size}, with the page count {@code size >> __ffs(pgsize)}: EINVAL for no
     * page, an empty bitmap, one above {@link VfioBitmap#SIZE_MAX}, or one too small for the pages. A
     * page size of 0 (whose {@code __ffs} the kernel leaves undefined) is EINVAL here.
     */
    static void verifyBitmapSize(long size, VfioBitmap bitmap) {
        if (bitmap.pgsize() == 0) {
            throw IommuException.of(Errno.EINVAL, "bitmap page size 0");
        }
        long pages = size >>> Long.numberOfTrailingZeros(bitmap.pgsize());
        if (pages == 0 || bitmap.size() == 0 || Long.compareUnsigned(bitmap.size(), VfioBitmap.SIZE_MAX) > 0
                || Long.compareUnsigned(bitmap.size(), VfioBitmap.bytesFor(pages)) < 0) {
            throw IommuException.of(Errno.EINVAL, "bitmap of 0x%x bytes for 0x%x pages (at most 0x%x bytes)",
                    bitmap.size(), pages, VfioBitmap.SIZE_MAX);
        }
    }

    /**
     * {@code update_user_bitmap}'s source: with domains that all track dirty pages, the pages their
     * second stages saw written (then cleared); otherwise every page of the mapping, as type1 reports
     * for an IOMMU-backed group that cannot tell ({@code !pinned_page_dirty_scope && iommu_mapped}).
     */
    private void collectDirty(VfioDma dma, long pgsize, DirtyBitmap bits) {
        boolean hardware = !domains.isEmpty();
        for (UnitDomain ud : domains.values()) {
            hardware &= ud.dirtyCapable;
        }
        if (!hardware) {
            bits.setRange(dma.iova(), dma.size());
            return;
        }
        for (UnitDomain ud : domains.values()) {
            long[] words = context.dirty().getDirtyBitmap(ud.hwptId, 0, 0, dma.iova(), dma.size(), pgsize);
            for (int w = 0; w < words.length; w++) {
                for (long word = words[w]; word != 0; word &= word - 1) {
                    long bit = ((long) w << 6) + Long.numberOfTrailingZeros(word);
                    bits.set(dma.iova() + bit * pgsize);
                }
            }
        }
    }

    /** IOMMU_HWPT_SET_DIRTY_TRACKING on a domain that has dirty bits; enabling clears them first. */
    private void setHardwareTracking(UnitDomain ud, boolean on) {
        if (ud.dirtyCapable) {
            context.dirty().setDirtyTracking(ud.hwptId, on ? DirtyTracking.ENABLE : 0);
        }
    }

    boolean dirtyTracking() {
        return dirtyTracking;
    }

    // ---- NESTING_OP ------------------------------------------------------------------------------

    /**
     * The nesting ops after the flags and op checks (the series' {@code vfio_iommu_handle_pgtbl_op}
     * and its siblings): EOPNOTSUPP outside TYPE1_NESTING mode or when the nesting info lacks the
     * op's feature; EINVAL for BIND / UNBIND without the per-VM PASID set; then the op on the chosen
     * devices (all of the container's when {@code device} is null). PAGE_RESP is checked as
     * {@code iommu_page_response} checked it and handed to the driver; whether a request of that
     * group is outstanding is the unit's business (the kernel's pending-fault match is not modelled
     * here).
     */
    void nestingOp(int op, byte[] data, DeviceInfo device) {
        if (nestingInfo == null) {
            throw IommuException.of(Errno.EOPNOTSUPP, "nesting op %d: the container is not in TYPE1_NESTING mode", op);
        }
        UnitDomain ud = domains.values().iterator().next(); // nesting mode: one group, one domain
        List<DeviceInfo> targets = device == null ? ud.infos() : List.of(device);
        switch (op) {
            case VfioNestingOps.BIND_PGTBL:
                requireFeature(IommuNestingInfo.FEAT_BIND_PGTBL, "BIND_PGTBL");
                requireVmm();
                bind(ud, targets, data);
                return;
            case VfioNestingOps.UNBIND_PGTBL:
                requireFeature(IommuNestingInfo.FEAT_BIND_PGTBL, "UNBIND_PGTBL");
                requireVmm();
                unbind(ud, targets, data);
                return;
            case VfioNestingOps.CACHE_INVLD:
                requireFeature(IommuNestingInfo.FEAT_CACHE_INVLD, "CACHE_INVLD");
                // the series ignored each device's result; a malformed request is reported here
                for (DeviceInfo d : targets) {
                    UnitDriver.run(registry, ud.unit, drv -> drv.cacheInvalidate(ud.unit, d, ud.descriptor, data));
                }
                return;
            case VfioNestingOps.SET_PASID_TABLE:
                requirePasidTableFormat();
                setPasidTable(ud, targets, data);
                return;
            case VfioNestingOps.UNSET_PASID_TABLE:
                requirePasidTableFormat();
                for (DeviceInfo d : targets) {
                    UnitDriver.run(registry, ud.unit, drv -> drv.unsetPasidTable(ud.unit, d, ud.descriptor));
                    pasidTables.remove(d);
                }
                return;
            case VfioNestingOps.PAGE_RESP:
                requireFeature(IommuNestingInfo.FEAT_PAGE_RESP, "PAGE_RESP");
                if (device == null) {
                    throw IommuException.of(Errno.EINVAL, "PAGE_RESP names no device");
                }
                boolean stall = !IommuDriver.KIND_INTEL_VTD.equals(ud.unit.kind()) && ud.unit.features().stall()
                        && !device.pri();
                var response = IommuPageResponse.parse(data, stall);
                UnitDriver.run(registry, ud.unit, drv -> drv.pageResponse(ud.unit, device, response));
                return;
            default:
                throw new IllegalArgumentException("op " + op);
        }
    }

    private void requireFeature(int feature, String what) {
        if ((nestingFeatures & feature) == 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: the nesting info's features 0x%x lack 0x%x", what,
                    nestingFeatures, feature);
        }
    }

    private void requirePasidTableFormat() {
        if ((nestingFeatures & IommuNestingInfo.FEAT_BIND_PGTBL) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP,
                    "PASID tables are bound on SMMUv3; this unit binds page tables per PASID");
        }
    }

    /** {@code iommu->vmm}: present when the nesting info asks for system-wide PASIDs. */
    boolean hasVmm() {
        return pasids != null && (nestingFeatures & IommuNestingInfo.FEAT_SYSWIDE_PASID) != 0;
    }

    private void requireVmm() {
        if (!hasVmm()) {
            throw IommuException.of(Errno.EINVAL, "no PASID set for the container's session");
        }
    }

    /** {@code struct iommu_gpasid_bind_data}'s {@code hpasid} (offset 32), or -1 when the data is too short. */
    private static long hostPasid(byte[] data) {
        if (data == null || data.length < 40) {
            return -1;
        }
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getLong(32);
    }

    /**
     * BIND_PGTBL: the host PASID must be one of the session's (ENOENT when not allocated, EACCES when
     * another session's — the checks {@code ioasid_find} made in the driver with the domain's set;
     * made here because drivers hold no PASID state, so for data too short to hold {@code hpasid}
     * the driver's parse answers first). A reference is held while bound, so that freeing the PASID
     * waits for the unbind. A device failing undoes the devices bound before it.
     */
    private void bind(UnitDomain ud, List<DeviceInfo> targets, byte[] data) {
        long hpasid = hostPasid(data);
        boolean owned = hpasid > 0 && hpasid <= Integer.MAX_VALUE;
        if (owned) {
            pasids.find((int) hpasid);
            pasids.get((int) hpasid);
        }
        List<DeviceInfo> done = new ArrayList<>();
        try {
            for (DeviceInfo d : targets) {
                UnitDriver.run(registry, ud.unit, drv -> drv.bindGuestPasid(ud.unit, d, ud.descriptor, data));
                done.add(d);
            }
        } catch (RuntimeException e) {
            for (DeviceInfo d : done) {
                DriverCleanup.run(registry, ud.unit, "unbindGuestPasid undoing a failed BIND_PGTBL",
                        drv -> drv.unbindGuestPasid(ud.unit, d, ud.descriptor, data));
            }
            if (owned) {
                pasids.put((int) hpasid);
            }
            throw e;
        }
        if (owned && boundPasids.putIfAbsent((int) hpasid, data.clone()) != null) {
            pasids.put((int) hpasid); // bound on further devices: one reference per PASID
        }
    }

    /**
     * UNBIND_PGTBL: answers success whatever each device says, as the series did; a PASID that is not
     * bound in this container (unallocated, another session's, never bound) is left alone.
     */
    private void unbind(UnitDomain ud, List<DeviceInfo> targets, byte[] data) {
        long hpasid = hostPasid(data);
        if (hpasid <= 0 || hpasid > Integer.MAX_VALUE || !boundPasids.containsKey((int) hpasid)) {
            return;
        }
        for (DeviceInfo d : targets) {
            DriverCleanup.run(registry, ud.unit, "unbindGuestPasid for UNBIND_PGTBL",
                    drv -> drv.unbindGuestPasid(ud.unit, d, ud.descriptor, data));
        }
        if (targets.containsAll(ud.infos())) {
            boundPasids.remove((int) hpasid);
            pasids.put((int) hpasid);
        }
    }

    /** SET_PASID_TABLE on each device; one failing undoes the devices set before it. */
    private void setPasidTable(UnitDomain ud, List<DeviceInfo> targets, byte[] data) {
        List<DeviceInfo> done = new ArrayList<>();
        try {
            for (DeviceInfo d : targets) {
                UnitDriver.run(registry, ud.unit, drv -> drv.setPasidTable(ud.unit, d, ud.descriptor, data));
                done.add(d);
            }
        } catch (RuntimeException e) {
            for (DeviceInfo d : done) {
                if (!pasidTables.contains(d)) {
                    DriverCleanup.run(registry, ud.unit, "unsetPasidTable at teardown",
                            drv -> drv.unsetPasidTable(ud.unit, d, ud.descriptor));
                }
            }
            throw e;
        }
        for (DeviceInfo d : done) {
            if (!pasidTables.contains(d)) {
                pasidTables.add(d);
            }
        }
    }

    // ---- PASID_REQUEST ---------------------------------------------------------------------------

    /** ALLOC: EOPNOTSUPP without the per-VM set; then the set's EINVAL (beyond 31 bits) and ENOSPC. */
    int allocatePasid(int min, int max) {
        requireSyswidePasids();
        return pasids.allocate(min, max);
    }

    private void requireSyswidePasids() {
        if (!hasVmm()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "PASID_REQUEST: the container has no system-wide PASIDs");
        }
    }

    /**
     * FREE: every PASID of the session's set in {@code [min, max]}; a guest table still bound to one
     * in this container is unbound first (the series' IOASID free notifier did so).
     */
    void freePasids(int min, int max) {
        requireSyswidePasids();
        IoasidSpace.checkRange(min, max); // before any unbind: a bad range changes nothing
        UnitDomain ud = domains.values().iterator().next();
        for (int pasid : new ArrayList<>(boundPasids.keySet())) {
            if (pasid >= min && pasid <= max) {
                byte[] data = boundPasids.remove(pasid);
                for (DeviceInfo d : ud.infos()) {
                    DriverCleanup.run(registry, ud.unit, "unbindGuestPasid for PASID_REQUEST FREE",
                            drv -> drv.unbindGuestPasid(ud.unit, d, ud.descriptor, data));
                }
                pasids.put(pasid);
            }
        }
        pasids.freeRange(min, max);
    }

    // ---- views ----------------------------------------------------------------------------------

    List<VfioDma> mappings() {
        return List.copyOf(dmas.values());
    }

    List<Integer> boundPasids() {
        return List.copyOf(boundPasids.keySet());
    }

    private boolean mediated(ContainerDevice device) {
        return registry.topology().mediation(device.info().name()).isPresent();
    }

    /** The domain a device joins: its unit's, or for a mediated device its unit's PASID domain. */
    private String domainKey(ContainerDevice device) {
        return device.info().unit() + (mediated(device) ? MEDIATED_DOMAIN_SUFFIX : "");
    }

    private static final String MEDIATED_DOMAIN_SUFFIX = "/pasid";

    /** The HWPT_PAGING id of the unit's domain in the container's context, or 0. */
    int hwptId(String unitName) {
        UnitDomain ud = domains.get(unitName);
        return ud == null ? 0 : ud.hwptId;
    }

    // ---- mapping tree ---------------------------------------------------------------------------

    private VfioDma containing(long address) {
        Map.Entry<Long, VfioDma> e = dmas.floorEntry(address);
        return e != null && e.getValue().contains(address) ? e.getValue() : null;
    }

    private VfioDma firstMeeting(long start, long last) {
        List<VfioDma> hit = meeting(start, last);
        return hit.isEmpty() ? null : hit.get(0);
    }

    /** The mappings meeting {@code [start, last]}, by IOVA. */
    private List<VfioDma> meeting(long start, long last) {
        List<VfioDma> out = new ArrayList<>();
        VfioDma first = containing(start);
        if (first != null) {
            out.add(first);
        }
        for (VfioDma d : dmas.tailMap(start, first == null).values()) {
            if (Long.compareUnsigned(d.iova(), last) > 0) {
                break;
            }
            if (d != first) {
                out.add(d);
            }
        }
        return out;
    }
}
