package io.nestor.core.iommufd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;

/**
 * Attach, replace and detach of a device's RID or one PASID ({@code device.c}:
 * {@code iommufd_device_attach}, {@code _replace}, {@code _detach}, {@code iommufd_hwpt_pasid_compat},
 * {@code iommufd_device_auto_get_domain}) with the VFIO PASID-attach series' rules.
 *
 * <p>Order of checks for attach: the {@code pt_id} lookup (ENOENT; an object that is neither an
 * HWPT nor an IOAS: EINVAL; an IOAS for a PASID: EINVAL); the RID or PASID already attached (EBUSY);
 * PASID compatibility (EINVAL: a PASID needs an HWPT allocated with ALLOC_PASID, and so does the RID
 * while any PASID is attached, and a PASID while the RID is on an incompatible one); an HWPT of
 * another unit (EINVAL, the iommu core's domain-owner check); a PASID the device does not have —
 * 0, or at or beyond its {@code max_pasids} (EINVAL); a vIOMMU-based nested HWPT for a device with
 * no vDEVICE on that vIOMMU (ENOENT); then the driver. Replace checks, after the lookup, that the
 * RID / PASID is attached (EINVAL), treats the same HWPT as success, then runs the same checks.
 * Detach of what is not attached is a silent no-op.
 *
 * <p>An IOAS as {@code pt_id} (RID only) uses an automatic HWPT_PAGING: each automatic one of that
 * IOAS on the device's unit is tried in turn, EINVAL meaning "incompatible, try the next"; if none
 * fits, a new one is allocated (flags 0), attached and published. An automatic HWPT is destroyed
 * when its last device leaves.
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
                    requireRid(pasid, o);
                    return autoDomain(dev, (Ioas) o, false);
                }
                throw IommuException.of(Errno.EINVAL, "pt_id %d is a %s, neither an HWPT nor an IOAS",
                        Integer.toUnsignedLong(ptId), o.type());
            }
        }
    }

    /** @return the HWPT id now attached */
    static int replace(DeviceObject dev, int pasid, int ptId) {
        synchronized (dev) {
            ObjectTable table = dev.context().table();
            try (ObjectRef<IommufdObject> pt = table.getAny(ptId)) {
                IommufdObject o = pt.get();
                if (!(o instanceof Hwpt) && !(o instanceof Ioas)) {
                    throw IommuException.of(Errno.EINVAL, "pt_id %d is a %s, neither an HWPT nor an IOAS",
                            Integer.toUnsignedLong(ptId), o.type());
                }
                Hwpt old = dev.attachmentsLocked().get(pasid);
                if (old == null) {
                    throw IommuException.of(Errno.EINVAL, "%s: %s is not attached; nothing to replace", dev,
                            where(pasid));
                }
                if (o instanceof Ioas) {
                    requireRid(pasid, o);
                    return autoDomain(dev, (Ioas) o, true);
                }
                Hwpt h = (Hwpt) o;
                doReplace(dev, pasid, old, h, true);
                return h.id();
            }
        }
    }

    /** Detaches the RID or one PASID; nothing attached there is a no-op. */
    static void detach(DeviceObject dev, int pasid) {
        synchronized (dev) {
            Hwpt h = dev.attachmentsLocked().get(pasid);
            if (h == null) {
                return;
            }
            DeviceInfo info = dev.info();
            UnitDriver.run(dev.platform().registry(), dev.unit(), d -> d.detach(dev.unit(), info, pasid));
            dev.attachmentsLocked().remove(pasid);
            release(dev, h);
        }
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
                try {
                    UnitDriver.run(dev.platform().registry(), dev.unit(),
                            d -> d.detach(dev.unit(), dev.info(), pasid));
                } catch (RuntimeException e) {
                    System.getLogger(DeviceAttach.class.getName()).log(System.Logger.Level.WARNING,
                            dev + ": detach of " + where(pasid) + " failed at teardown", e);
                }
                dev.attachmentsLocked().remove(pasid);
                release(dev, h);
            }
        }
    }

    // ---- the steps ------------------------------------------------------------------------------

    /** {@code iommufd_hw_pagetable_attach}: checks, driver attach, bookkeeping. */
    private static void doAttach(DeviceObject dev, int pasid, Hwpt h, boolean holdUser) {
        if (dev.attachmentsLocked().containsKey(pasid)) {
            throw IommuException.of(Errno.EBUSY, "%s: %s is already attached to %s; replace it instead", dev,
                    where(pasid), dev.attachmentsLocked().get(pasid));
        }
        checkCompatible(dev, pasid, h);
        driverAttach(dev, pasid, h);
        dev.attachmentsLocked().put(pasid, h);
        if (holdUser) {
            dev.context().table().addUser(h);
        }
    }

    private static void doReplace(DeviceObject dev, int pasid, Hwpt old, Hwpt h, boolean holdUser) {
        if (old == h) {
            return;
        }
        checkCompatible(dev, pasid, h);
        if (pasid == DeviceInfo.NO_PASID) {
            driverAttach(dev, pasid, h); // the drivers replace a RID attachment in place
        } else {
            replacePasid(dev, pasid, old, h);
        }
        dev.attachmentsLocked().put(pasid, h);
        if (holdUser) {
            dev.context().table().addUser(h);
        }
        release(dev, old);
    }

    /** A PASID has no in-place switch in the SPI: detach, attach, and on failure put the old one back. */
    private static void replacePasid(DeviceObject dev, int pasid, Hwpt old, Hwpt h) {
        DeviceInfo info = dev.info();
        UnitDriver.run(dev.platform().registry(), dev.unit(), d -> d.detach(dev.unit(), info, pasid));
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
        DeviceInfo info = dev.info();
        DomainDescriptor d = h.descriptor();
        UnitDriver.run(dev.platform().registry(), dev.unit(), drv -> {
            if (pasid == DeviceInfo.NO_PASID) {
                drv.attachDevice(dev.unit(), info, d);
            } else {
                drv.attachPasid(dev.unit(), info, pasid, d);
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

    /** {@code iommufd_device_auto_get_domain} for the RID. */
    private static int autoDomain(DeviceObject dev, Ioas ioas, boolean replace) {
        int pasid = DeviceInfo.NO_PASID;
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
        HwptPaging h = HwptPaging.build(dev.context(), dev.platform(), ioas, dev.unit(), 0, true);
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

    private static void requireRid(int pasid, IommufdObject ioas) {
        if (pasid != DeviceInfo.NO_PASID) {
            throw IommuException.of(Errno.EINVAL, "PASID %d cannot attach to %s: it needs an HWPT allocated with "
                    + "IOMMU_HWPT_ALLOC_PASID", pasid, ioas);
        }
    }

    private static String where(int pasid) {
        return pasid == DeviceInfo.NO_PASID ? "the RID" : "PASID " + pasid;
    }
}
