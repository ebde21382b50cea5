package io.nestor.core.iommufd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.unit.IommuUnit;
import java.util.Arrays;

/**
 * The device side of a context: binding a platform device (VFIO's {@code BIND_IOMMUFD}, creating a
 * DEVICE object), attach / replace / detach of its RID or a PASID ({@link DeviceAttach}), and
 * IOMMU_GET_HW_INFO.
 */
public final class DeviceCommands {
    public static final int HW_INFO_FLAG_INPUT_TYPE = 1;
    private final IommufdContext context;

    DeviceCommands(IommufdContext context) {
        this.context = context;
    }

    /**
     * Binds the platform device {@code name} to this context.
     *
     * @return the DEVICE object's id
     * @throws IommuException ENODEV for a device the topology does not have, or whose unit is gone;
     *     EBUSY when another context holds it; EINVAL when this one already does; EBUSY when ids run out
     */
    public int bind(String name) {
        IommufdPlatform platform = context.platform();
        DeviceInfo info = platform.registry().topology().device(name)
                .orElseThrow(() -> IommuException.of(Errno.ENODEV, "no device named '%s' in the topology", name));
        IommuUnit unit = platform.registry().unitOf(info);
        ObjectTable table = context.objects();
        DeviceObject dev = new DeviceObject(context, platform, info, unit);
        table.reserve(dev);
        try {
            dev.claim();
        } catch (RuntimeException e) {
            table.abort(dev);
            throw e;
        }
        table.publish(dev);
        table.addUser(dev); // the binding's own user (iommufd_device_bind): DESTROY answers EBUSY
        return dev.id();
    }

    /**
     * VFIO unbind ({@code iommufd_device_unbind} after VFIO's detaches): detaches every PASID, then
     * the RID, destroys the device's vDEVICE (its id stays taken, a tombstone, until the context
     * closes), and destroys the DEVICE object, releasing the device for other contexts.
     *
     * @throws IommuException ENOENT for a bad id
     */
    public void unbind(int devId) {
        DeviceObject dev;
        try (ObjectRef<DeviceObject> ref = lookup(devId)) {
            dev = ref.get();
        }
        unbind(context.table(), dev);
    }

    /** Unbinds a device object (also used when the context closes). */
    static void unbind(ObjectTable table, DeviceObject dev) {
        synchronized (dev) {
            if (!dev.bindingHeld()) {
                return;
            }
            DeviceAttach.detachAll(dev);
            Vdevice v = dev.vdevice();
            if (v != null) {
                table.tombstone(v);
            }
            dev.dropBinding();
        }
        table.dropUser(dev);
        table.destroyIfUnused(dev);
    }

    /** Attaches the RID ({@code pasid} = {@link DeviceInfo#NO_PASID}) or a PASID; see {@link DeviceAttach}. */
    public int attach(int devId, int pasid, int ptId) {
        try (ObjectRef<DeviceObject> ref = lookup(devId)) {
            return DeviceAttach.attach(ref.get(), pasid, ptId);
        }
    }

    public int replace(int devId, int pasid, int ptId) {
        try (ObjectRef<DeviceObject> ref = lookup(devId)) {
            return DeviceAttach.replace(ref.get(), pasid, ptId);
        }
    }

    public void detach(int devId, int pasid) {
        try (ObjectRef<DeviceObject> ref = lookup(devId)) {
            DeviceAttach.detach(ref.get(), pasid);
        }
    }

    /**
     * IOMMU_GET_HW_INFO ({@code iommufd_get_hw_info}, {@code device.c}).
     *
     * <p>Order: unknown flags or a non-zero {@code __reserved} → EOPNOTSUPP; {@code dev_id} →
     * ENOENT; with INPUT_TYPE an {@code in_data_type} other than DEFAULT or the unit's → EOPNOTSUPP.
     * The vendor data is copied up to {@code min(data_len, driver length)}, the rest of the user's
     * buffer zero-filled, and {@code data_len} reports the driver's full length. {@code
     * out_max_pasid_log2} is the device's PASID width (min of device and unit); the PCI PASID
     * EXEC / PRIV capability bits come from the device's PASID capability and count only with a
     * non-zero width.
     *
     * @param dataLen the user's {@code data_len}: how many bytes its buffer holds
     */
    public HwInfoReply hwInfo(int devId, int flags, int dataLen, int inDataType, int reserved) {
        if ((flags & ~HW_INFO_FLAG_INPUT_TYPE) != 0 || reserved != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "GET_HW_INFO flags 0x%x __reserved 0x%x", flags, reserved);
        }
        if (dataLen < 0) {
            throw IommuException.of(Errno.EINVAL, "data_len %d", dataLen);
        }
        try (ObjectRef<DeviceObject> ref = lookup(devId)) {
            DeviceObject dev = ref.get();
            IommuUnit unit = dev.unit();
            HwInfo info = UnitDriver.call(context.platform().registry(), unit, d -> d.hwInfo(unit));
            int wanted = (flags & HW_INFO_FLAG_INPUT_TYPE) != 0 ? inDataType : HwInfo.TYPE_NONE;
            if (wanted != HwInfo.TYPE_NONE && wanted != info.type()) {
                throw IommuException.of(Errno.EOPNOTSUPP, "unit %s reports hw_info type %d, not %d", unit.name(),
                        info.type(), wanted);
            }
            byte[] vendor = info.data();
            byte[] out = Arrays.copyOf(vendor, dataLen); // cut to data_len, or zero-filled beyond the driver's
            // ilog2(max_pasids): the device's PASID width bounded by what the unit's driver reports
            int pasidBits = dev.info().pasidBits() == 0 ? 0 : Math.min(dev.info().pasidBits(), info.maxPasidLog2());
            long caps = info.capabilities() & ~(HwInfo.CAP_PCI_PASID_EXEC | HwInfo.CAP_PCI_PASID_PRIV);
            if (pasidBits != 0) {
                if (dev.info().pasidExec()) {
                    caps |= HwInfo.CAP_PCI_PASID_EXEC;
                }
                if (dev.info().pasidPriv()) {
                    caps |= HwInfo.CAP_PCI_PASID_PRIV;
                }
            }
            return new HwInfoReply(out, vendor.length, info.type(), pasidBits, caps);
        }
    }

    private ObjectRef<DeviceObject> lookup(int devId) {
        return context.objects().get(devId, ObjectType.DEVICE, DeviceObject.class);
    }
}
