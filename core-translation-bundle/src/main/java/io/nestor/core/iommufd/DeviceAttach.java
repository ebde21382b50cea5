package io.nestor.core.iommufd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.ReservedRegion;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;

/**
 * Attach, replace and detach of a device's RID or one PASID ({@code device.c}:
 * {@code iommufd_device_attach}, {@code _replace}, {@code _detach}, {@code iommufd_hwpt_pasid_compat},
 * {@code iommufd_device_auto_get_domain}) with the VFIO PASID-attach series' rules.
 *
 * <p>Order of checks for attach ({@code iommufd_hw_pagetable_attach}): the {@code pt_id} lookup
 * (ENOENT; an object that is neither an HWPT nor an IOAS: EINVAL); the RID or PASID already
 * attached (EBUSY); for the RID, the device's reserved regions in the IOAS (EADDRINUSE); PASID
 * compatibility ({@code iommufd_hwpt_pasid_compat}, EINVAL: a PASID needs an HWPT allocated with
 * ALLOC_PASID, and so does the RID while any PASID is attached, and a PASID while the RID is on an
 * incompatible one); then what the iommu core and the driver check — an HWPT of another unit
 * (EINVAL, the domain-owner check), a PASID the device does not have: 0, or at or beyond its
 * {@code max_pasids} (EINVAL), a vIOMMU-based nested HWPT for a device with no vDEVICE on that
 * vIOMMU (ENOENT) — and the driver's own errno. Replace ({@code iommufd_device_do_replace}) checks,
 * after the lookup, that the RID / PASID is attached (EINVAL), treats the same HWPT as success,
 * then moves the reserved regions if the IOAS changes and runs the same checks. Detach of what is
 * not attached is a silent no-op.
 *
 * <p>An IOAS as {@code pt_id} uses an automatic HWPT_PAGING: each automatic one of that IOAS on the
 * device's unit is tried in turn, EINVAL meaning "incompatible, try the next" and any other errno
 * ending the search; if none fits, a new one is allocated (flags 0, so never PASID-compatible),
 * attached and published. An automatic HWPT is destroyed
 * when its last device leaves.
 *
 * <p>A RID attached to a paging HWPT reserves the device's reserved regions (the driver's
 * {@code reservedRegions}) in that HWPT's IOAS, after the compatibility checks and before the
 * driver attaches (EADDRINUSE when a mapping or an allowed range is there); they leave with the
 * RID, and move with a replace only when the IOAS changes. PASID attachments reserve nothing.
 *
 * <p>A device leaving an HWPT that has a FAULT object (detach, replace, teardown) has every
 * page-request group it sent through that attachment answered INVALID.
 *
 * <p>An IOMMU-backed mediated device ({@link DeviceObject#mediated()}) attaches only its RID, and
 * that attachment is, for the unit, its parent's PASID attachment at the default PASID: the HWPT
 * must be PASID-compatible (EINVAL otherwise), no reserved region is taken, a replace goes through
 * detach and attach, and its automatic HWPT is allocated with ALLOC_PASID (an auto domain with
 * flags 0 could never serve it; Yi Liu's "make auto domain PASID compatible" patch proposed the
 * same for PASID-capable devices). Attaching or detaching a PASID of a mediated device answers
 * EOPNOTSUPP, VFIO's answer for a device without {@code pasid_attach_ioas}
 * ({@code vfio_df_ioctl_attach_pt}).
 *
 * <p>Every attachment holds one user on its HWPT. Every call either takes full effect or changes
 * nothing: a failed replace leaves the old HWPT attached (for a PASID, which the driver cannot
 * switch in place, the old domain is put back), and a new automatic HWPT is destroyed again.
 */
final class DeviceAttach {
    private DeviceAttach() {
    }

    /** @return the HWPT id now attached (the new automatic HWPT's for an IOAS) */
    static int attach(DeviceObject dev, int pasid, int ptId) {
        checkMediatedPasid(dev, pasid, "attach");
        synchronized (dev) {
            ObjectTable table = dev.context().table();
            try (ObjectRef<IommufdObject> pt = table.getAny(ptId)) {
                IommufdObject o = pt.get();
                if (o instanceof Hwpt) {
                    Hwpt h = (Hwpt) o;
                    doAttach(dev, pasid, h, true);
                    return h.id();
                }
                if (o instanceof Ioas) {
                    return autoDomain(dev, pasid, (Ioas) o, false);
                }
                throw notAPageTable(ptId, o);
            }
        }
    }

    /** @return the HWPT id now attached */
    static int replace(DeviceObject dev, int pasid, int ptId) {
        checkMediatedPasid(dev, pasid, "attach");
        synchronized (dev) {
            ObjectTable table = dev.context().table();
            try (ObjectRef<IommufdObject> pt = table.getAny(ptId)) {
                IommufdObject o = pt.get();
                if (!(o instanceof Hwpt) && !(o instanceof Ioas)) {
                    throw notAPageTable(ptId, o);
                }
                Hwpt old = dev.attachmentsLocked().get(pasid);
                if (old == null) {
                    throw IommuException.of(Errno.EINVAL, "%s: %s is not attached; nothing to replace", dev,
                            where(pasid));
                }
                if (o instanceof Ioas) {
                    return autoDomain(dev, pasid, (Ioas) o, true);
                }
                Hwpt h = (Hwpt) o;
                doReplace(dev, pasid, old, h, true);
                return h.id();
            }
        }
    }

    /** Attach's and replace's EINVAL for a {@code pt_id} that names neither an HWPT nor an IOAS. */
    private static IommuException notAPageTable(int ptId, IommufdObject o) {
        return IommuException.of(Errno.EINVAL, "pt_id %d is a %s, neither an HWPT nor an IOAS",
                Integer.toUnsignedLong(ptId), o.type());
    }

    /** Detaches the RID or one PASID; nothing attached there is a no-op. */
    static void detach(DeviceObject dev, int pasid) {
        checkMediatedPasid(dev, pasid, "detach");
        synchronized (dev) {
            Hwpt h = dev.attachmentsLocked().get(pasid);
            if (h == null) {
                return;
            }
            UnitDriver.run(dev.platform().registry(), dev.unit(), d -> driverDetach(d, dev, pasid));
            forget(dev, pasid, h);
        }
    }

    /** A mediated device has no PASIDs of its own to attach or detach. */
    private static void checkMediatedPasid(DeviceObject dev, int pasid, String op) {
        if (dev.mediated() && pasid != DeviceInfo.NO_PASID) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s is a mediated device: no PASID %s (PASID %d)", dev, op,
                    Integer.toUnsignedLong(pasid));
        }
    }

    /** The driver's detach of what the unit sees for {@code dev}'s {@code pasid}. */
    private static void driverDetach(IommuDriver d, DeviceObject dev, int pasid) {
        d.detach(dev.unit(), dev.requester(), dev.requesterPasid(pasid));
    }

    /**
     * Detaches every PASID, then the RID (device destroy / context close). A driver failure is
     * logged and the bookkeeping still goes, so the objects can be freed.
     */
    static void detachAll(DeviceObject dev) {
        synchronized (dev) {
            List<Integer> order = new ArrayList<>(dev.attachmentsLocked().keySet());
            order.remove(Integer.valueOf(DeviceInfo.NO_PASID));
            order.add(DeviceInfo.NO_PASID);
            for (int pasid : order) {
                Hwpt h = dev.attachmentsLocked().get(pasid);
                if (h == null) {
                    continue;
                }
                DriverCleanup.run(dev.platform().registry(), dev.unit(), dev + ": detach of " + where(pasid)
                        + " at teardown", d -> driverDetach(d, dev, pasid));
                forget(dev, pasid, h);
            }
        }
    }

    /** The core's side of a detach, after the driver's: the attachment, its faults, regions and users go. */
    private static void forget(DeviceObject dev, int pasid, Hwpt h) {
        dev.attachmentsLocked().remove(pasid);
        autoRespond(dev, pasid, h);
        if (takesRegions(dev, pasid)) {
            unreserveRegions(dev, h);
        }
        release(dev, h);
        if (dev.published) {
            dev.context().table().dropUser(dev);
        }
    }

    // ---- the steps ------------------------------------------------------------------------------

    /** {@code iommufd_hw_pagetable_attach}: checks, driver attach, bookkeeping. */
    private static void doAttach(DeviceObject dev, int pasid, Hwpt h, boolean holdUser) {
        if (dev.attachmentsLocked().containsKey(pasid)) {
            throw IommuException.of(Errno.EBUSY, "%s: %s is already attached to %s; replace it instead", dev,
                    where(pasid), dev.attachmentsLocked().get(pasid));
        }
        if (!dev.mediated() && pasid != DeviceInfo.NO_PASID) {
            // the host holds it (taken from the global PASID space for the mediated device), as the
            // kernel's pasid_array insert answers a PASID in use
            DeviceInfo issuer = dev.platform().registry().topology().issuer(dev.info(), pasid);
            if (issuer != dev.info()) {
                throw IommuException.of(Errno.EBUSY, "%s: PASID %d is the default PASID of mediated device %s", dev,
                        pasid, issuer.name());
            }
        }
        boolean reserved = takesRegions(dev, pasid) && reserveRegions(dev, h);
        try {
            checkCompatible(dev, pasid, h);
            driverAttach(dev, pasid, h);
        } catch (RuntimeException e) {
            if (reserved) {
                unreserveRegions(dev, h);
            }
            throw e;
        }
        dev.attachmentsLocked().put(pasid, h);
        if (holdUser) {
            dev.context().table().addUser(h);
        }
        dev.context().table().addUser(dev); // iommufd_device_attach's user on the device
    }

    private static void doReplace(DeviceObject dev, int pasid, Hwpt old, Hwpt h, boolean holdUser) {
        if (old == h) {
            return;
        }
        // reserved regions move only when the IOAS changes (kernel-uapi §1.4)
        boolean moveRegions = takesRegions(dev, pasid) && ioasOf(old) != ioasOf(h);
        boolean reserved = moveRegions && reserveRegions(dev, h);
        try {
            checkCompatible(dev, pasid, h);
            if (dev.requesterPasid(pasid) == DeviceInfo.NO_PASID) {
                driverAttach(dev, pasid, h); // the drivers replace a RID attachment in place
            } else {
                replacePasid(dev, pasid, old, h);
            }
        } catch (RuntimeException e) {
            if (reserved) {
                unreserveRegions(dev, h);
            }
            throw e;
        }
        if (moveRegions) {
            unreserveRegions(dev, old);
        }
        dev.attachmentsLocked().put(pasid, h);
        if (holdUser) {
            dev.context().table().addUser(h);
        }
        autoRespond(dev, pasid, old);
        release(dev, old);
    }

    /**
     * {@code iommufd_auto_response_faults}: the device left {@code h} at {@code pasid} (detach or
     * replace, after the switch), so every page-request group that came to {@code h}'s FAULT
     * object through that attachment is answered INVALID.
     */
    private static void autoRespond(DeviceObject dev, int pasid, Hwpt h) {
        FaultQueueObject fault = h.faultQueue();
        if (fault != null) {
            fault.autoRespond(dev, pasid);
        }
    }

    /** Whether the attachment is the unit's RID attachment, which takes the device's reserved regions. */
    private static boolean takesRegions(DeviceObject dev, int pasid) {
        return dev.requesterPasid(pasid) == DeviceInfo.NO_PASID;
    }

    /** {@code find_hwpt_paging}: the IOAS of a paging HWPT, or of a nested HWPT's parent. */
    private static Ioas ioasOf(Hwpt h) {
        if (h instanceof HwptPaging) {
            return ((HwptPaging) h).ioas();
        }
        if (h instanceof HwptNested && ((HwptNested) h).parent() != null) {
            return ((HwptNested) h).parent().ioas();
        }
        return null;
    }

    /**
     * {@code iommufd_device_attach_reserved_iova}: the device's reserved regions (all but
     * DIRECT_RELAXABLE) become reserved IOVA of the IOAS behind the HWPT (a nested HWPT's parent's),
     * owned by the device; one
     * meeting a mapped area or an allowed range fails the attach with EADDRINUSE, nothing kept. A
     * driver reporting both a hardware and a software MSI window, or two software ones, is refused
     * with EINVAL ({@code iopt_table_enforce_dev_resv_regions}'s sanity check).
     *
     * @return whether anything was reserved (core-only domains reserve nothing)
     */
    private static boolean reserveRegions(DeviceObject dev, Hwpt h) {
        Ioas ioas = ioasOf(h);
        if (ioas == null || h.unit() == null) {
            return false;
        }
        List<ReservedRegion> regions = UnitDriver.call(dev.platform().registry(), dev.unit(),
                d -> d.reservedRegions(dev.unit(), dev.info()));
        long hwMsi = regions.stream().filter(r -> r.type() == ReservedRegion.Type.MSI).count();
        long swMsi = regions.stream().filter(r -> r.type() == ReservedRegion.Type.SW_MSI).count();
        if ((hwMsi != 0 && swMsi != 0) || swMsi > 1) {
            throw IommuException.of(Errno.EINVAL, "%s: the driver reports %d hardware and %d software MSI windows",
                    dev, hwMsi, swMsi);
        }
        IoPageTable iopt = ioas.pageTable();
        synchronized (iopt) {
            try {
                for (ReservedRegion r : regions) {
                    if (r.type() != ReservedRegion.Type.DIRECT_RELAXABLE) {
                        iopt.reserve(r.start(), r.last(), dev);
                    }
                }
            } catch (RuntimeException e) {
                iopt.removeReserved(dev);
                throw e;
            }
        }
        return true;
    }

    /** {@code iopt_remove_reserved_iova}. */
    private static void unreserveRegions(DeviceObject dev, Hwpt h) {
        Ioas ioas = ioasOf(h);
        if (ioas != null) {
            ioas.pageTable().removeReserved(dev);
        }
    }

    /** A PASID has no in-place switch in the SPI: detach, attach, and on failure put the old one back. */
    private static void replacePasid(DeviceObject dev, int pasid, Hwpt old, Hwpt h) {
        UnitDriver.run(dev.platform().registry(), dev.unit(), d -> driverDetach(d, dev, pasid));
        try {
            driverAttach(dev, pasid, h);
        } catch (RuntimeException e) {
            try {
                driverAttach(dev, pasid, old);
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    private static void checkCompatible(DeviceObject dev, int pasid, Hwpt h) {
        checkPasidCompat(dev, pasid, h);
        if (h.unit() == null || h.unit() != dev.unit()) {
            throw IommuException.of(Errno.EINVAL, "%s of unit %s cannot serve %s behind unit %s", h,
                    h.unit() == null ? "none" : h.unit().name(), dev.info().name(), dev.unit().name());
        }
        if (pasid != DeviceInfo.NO_PASID) {
            int bits = dev.pasidBits();
            if (bits == 0 || pasid <= 0 || (bits < 31 && pasid >= 1 << bits)) {
                throw IommuException.of(Errno.EINVAL, "%s: PASID %d is outside the device's PASIDs [1, 2^%d)", dev,
                        pasid, bits);
            }
        }
        if (h instanceof HwptNested && ((HwptNested) h).viommu() != null) {
            Vdevice v = dev.vdevice();
            if (v == null || v.viommu() != ((HwptNested) h).viommu()) {
                throw IommuException.of(Errno.ENOENT, "%s has no vDEVICE on %s, which %s needs", dev,
                        ((HwptNested) h).viommu(), h);
            }
        }
    }

    /** {@code iommufd_hwpt_pasid_compat}. */
    private static void checkPasidCompat(DeviceObject dev, int pasid, Hwpt h) {
        if (dev.mediated()) {
            if (!h.pasidCompat()) {
                throw IommuException.of(Errno.EINVAL, "%s is mediated: it attaches as PASID %d of %s, and %s was not "
                        + "allocated with IOMMU_HWPT_ALLOC_PASID", dev, dev.requesterPasid(pasid),
                        dev.requester().name(), h);
            }
            return;
        }
        if (pasid == DeviceInfo.NO_PASID) {
            if (!h.pasidCompat() && dev.attachmentsLocked().keySet().stream().anyMatch(p -> p != DeviceInfo.NO_PASID)) {
                throw IommuException.of(Errno.EINVAL, "%s: PASIDs are attached, so the RID needs an HWPT allocated "
                        + "with IOMMU_HWPT_ALLOC_PASID; %s is not", dev, h);
            }
            return;
        }
        if (!h.pasidCompat()) {
            throw IommuException.of(Errno.EINVAL, "%s was not allocated with IOMMU_HWPT_ALLOC_PASID; PASID %d needs it",
                    h, pasid);
        }
        Hwpt rid = dev.attachmentsLocked().get(DeviceInfo.NO_PASID);
        if (rid != null && !rid.pasidCompat()) {
            throw IommuException.of(Errno.EINVAL, "%s: the RID is on %s, not PASID-compatible, so PASID %d cannot attach",
                    dev, rid, pasid);
        }
    }

    private static void driverAttach(DeviceObject dev, int pasid, Hwpt h) {
        DeviceInfo info = dev.requester();
        int hwPasid = dev.requesterPasid(pasid);
        DomainDescriptor d = h.descriptor();
        UnitDriver.run(dev.platform().registry(), dev.unit(), drv -> {
            if (hwPasid == DeviceInfo.NO_PASID) {
                drv.attachDevice(dev.unit(), info, d);
            } else {
                drv.attachPasid(dev.unit(), info, hwPasid, d);
            }
        });
    }

    /** Drops an attachment's user; an automatic HWPT left without devices is destroyed. */
    private static void release(DeviceObject dev, Hwpt h) {
        ObjectTable table = dev.context().table();
        table.dropUser(h);
        if (h instanceof HwptPaging && ((HwptPaging) h).autoDomain()) {
            table.destroyIfUnused(h);
        }
    }

    /**
     * {@code iommufd_device_auto_get_domain}. A new automatic HWPT has flags 0 (ALLOC_PASID for a
     * mediated device), so for a PASID it is not PASID-compatible and the attach fails with EINVAL
     * after all, as in the kernel (which allocates it too), leaving nothing behind.
     */
    private static int autoDomain(DeviceObject dev, int pasid, Ioas ioas, boolean replace) {
        Hwpt old = dev.attachmentsLocked().get(pasid);
        for (HwptPaging h : ioas.hwpts()) {
            if (!h.autoDomain() || h.unit() != dev.unit()) {
                continue;
            }
            ObjectRef<IommufdObject> ref;
            try {
                ref = dev.context().table().getAny(h.id());
            } catch (IommuException gone) {
                continue; // not yet published, or being destroyed
            }
            try (ref) {
                if (ref.get() != h) {
                    continue;
                }
                if (replace) {
                    doReplace(dev, pasid, old, h, true);
                } else {
                    doAttach(dev, pasid, h, true);
                }
                return h.id();
            } catch (IommuException e) {
                if (e.errno() != Errno.EINVAL) {
                    throw e; // only EINVAL means "incompatible, try the next"
                }
            }
        }
        ObjectTable table = dev.context().table();
        int flags = dev.mediated() ? HwptAllocFlags.PASID : 0;
        HwptPaging h = HwptPaging.build(dev.context(), dev.platform(), ioas, dev.unit(), flags, true);
        try {
            if (replace) {
                doReplace(dev, pasid, old, h, false);
            } else {
                doAttach(dev, pasid, h, false);
            }
        } catch (RuntimeException e) {
            table.abort(h);
            throw e;
        }
        table.publish(h);
        table.addUser(h); // the attachment's user, now that it is visible
        return h.id();
    }

    private static String where(int pasid) {
        return pasid == DeviceInfo.NO_PASID ? "the RID" : "PASID " + pasid;
    }
}
