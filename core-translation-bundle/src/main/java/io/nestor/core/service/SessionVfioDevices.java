package io.nestor.core.service;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.platform.MediatedDevice;
import io.nestor.api.vfio.VfioDeviceEntry;
import io.nestor.api.vfio.VfioDevices;
import io.nestor.core.iommufd.DeviceCommands;
import io.nestor.core.iommufd.DeviceObject;
import io.nestor.core.iommufd.ObjectRef;
import io.nestor.core.iommufd.ObjectType;
import io.nestor.core.pci.PciFunction;
import io.nestor.core.service.SessionIommufd.DeviceBinding;
import java.util.ArrayList;
import java.util.List;

/**
 * A session's VFIO device cdev operations over its iommufd contexts: the device name stands for the
 * opened device file, and the binding (context handle and DEVICE id) is looked up in the session's
 * contexts, so nothing here goes stale when a context closes.
 *
 * <p>Visibility: binding a device another session holds answers EBUSY (the kernel's DMA-owner
 * claim); every other operation on it answers ENOENT, as if the session had no such device; a device
 * bound by nobody answers EINVAL to everything but bind, as the kernel answers an ioctl on a cdev
 * not yet bound ({@code vfio_device_fops_unl_ioctl}: no access granted). Attach of an attached RID
 * or PASID replaces, as {@code vfio_iommufd_physical_attach_ioas} and its PASID variant do. The
 * config spaces are the platform's ({@link SessionManager#pciFunctions()}): their state outlives
 * the session.
 */
final class SessionVfioDevices implements VfioDevices {
    private final CoreSession session;
    private final SessionManager manager;

    SessionVfioDevices(CoreSession session, SessionManager manager) {
        this.session = session;
        this.manager = manager;
    }

    private DeviceInfo topologyDevice(String name) {
        return manager.registry().topology().device(name == null ? "" : name)
                .orElseThrow(() -> IommuException.of(Errno.ENOENT, "no device '%s'", name));
    }

    private boolean ownedByOther(DeviceInfo d) {
        Object owner = manager.iommufdPlatform().bindings().owner(d);
        return owner != null && !session.iommufd().holds(owner);
    }

    @Override
    public List<VfioDeviceEntry> list() {
        session.checkOpen();
        List<VfioDeviceEntry> out = new ArrayList<>();
        for (DeviceInfo d : manager.registry().topology().devices()) {
            int group = manager.vfioGroups().groupOf(d.name());
            Object owner = manager.iommufdPlatform().bindings().owner(d);
            boolean mine = session.owns(d);
            boolean bound = owner != null || manager.vfioGroups().holder(group).isPresent();
            MediatedDevice m = manager.registry().topology().mediation(d.name()).orElse(null);
            out.add(m == null ? new VfioDeviceEntry(d.name(), d.unit(), group, bound, mine)
                    : new VfioDeviceEntry(d.name(), d.unit(), group, bound, mine, m.parent(), m.defaultPasid()));
        }
        return out;
    }

    @Override
    public int bindIommufd(String device, int flags, int iommufd) {
        session.checkOpen();
        topologyDevice(device);
        // a device another session holds is EBUSY, as the kernel's DMA-owner claim answers: the
        // device itself is visible (ListDevices shows it bound), its bindings and objects are not
        if (flags != 0) { // vfio_df_ioctl_bind_iommufd: no flag is defined
            throw IommuException.of(Errno.EINVAL, "BIND_IOMMUFD flags 0x%x", flags);
        }
        DeviceBinding existing = session.iommufd().bindingOf(device);
        if (existing != null && existing.iommufd() != iommufd) {
            throw IommuException.of(Errno.EBUSY, "device %s is bound to iommufd %d of this session", device,
                    existing.iommufd());
        }
        return session.iommufd().bindDevice(iommufd, device);
    }

    /** The session's binding of {@code device}: ENOENT when absent or another's, EINVAL when unbound. */
    private DeviceBinding binding(String device) {
        session.checkOpen();
        DeviceInfo d = topologyDevice(device);
        if (ownedByOther(d)) {
            throw IommuException.of(Errno.ENOENT, "no device '%s'", device);
        }
        DeviceBinding b = session.iommufd().bindingOf(device);
        if (b == null) {
            throw IommuException.of(Errno.EINVAL, "device %s is not bound to an iommufd of this session", device);
        }
        return b;
    }

    @Override
    public void unbind(String device) {
        DeviceBinding b = binding(device);
        session.iommufd().onContext(b.iommufd(), c -> {
            c.devices().unbind(b.devId());
            return null;
        });
    }

    @Override
    public int attachIommufdPt(String device, int flags, int ptId, int pasid) {
        int target = target(flags, pasid, "ATTACH");
        DeviceBinding b = binding(device);
        return session.iommufd().onContext(b.iommufd(), c -> {
            DeviceCommands devices = c.devices();
            // VFIO attaches the first time and replaces after (iommufd_device_replace)
            boolean attached;
            try (ObjectRef<DeviceObject> dev = c.objects().get(b.devId(), ObjectType.DEVICE, DeviceObject.class)) {
                attached = dev.get().attached(target) != null;
            }
            return attached ? devices.replace(b.devId(), target, ptId) : devices.attach(b.devId(), target, ptId);
        });
    }

    @Override
    public void detachIommufdPt(String device, int flags, int pasid) {
        int target = target(flags, pasid, "DETACH");
        DeviceBinding b = binding(device);
        session.iommufd().onContext(b.iommufd(), c -> {
            c.devices().detach(b.devId(), target);
            return null;
        });
    }

    /** The RID ({@link DeviceInfo#NO_PASID}) or the PASID a call names; EINVAL for unknown flags. */
    private static int target(int flags, int pasid, String op) {
        if ((flags & ~FLAG_PASID) != 0) {
            throw IommuException.of(Errno.EINVAL, "%s_IOMMUFD_PT flags 0x%x", op, flags);
        }
        if ((flags & FLAG_PASID) == 0) {
            return DeviceInfo.NO_PASID;
        }
        if (pasid < 0) {
            throw IommuException.of(Errno.EINVAL, "PASID %d", Integer.toUnsignedLong(pasid));
        }
        return pasid;
    }

    private PciFunction function(String device) {
        binding(device);
        PciFunction f = manager.pciFunctions().get(device);
        if (f == null) {
            throw IommuException.of(Errno.EINVAL, "device %s has no PCI config space", device);
        }
        return f;
    }

    @Override
    public byte[] readConfig(String device, int offset, int count) {
        return function(device).config().readBytes(Integer.toUnsignedLong(offset), count);
    }

    @Override
    public int writeConfig(String device, int offset, byte[] data) {
        function(device).config().writeBytes(Integer.toUnsignedLong(offset), data);
        return data.length;
    }
}
