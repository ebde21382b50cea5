package io.nestor.core.iommufd;

import io.nestor.api.driver.ViommuDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.unit.IommuUnit;

/**
 * IOMMU_VIOMMU_ALLOC and IOMMU_VDEVICE_ALLOC ({@code viommu.c}).
 *
 * <p>VIOMMU_ALLOC: flags, or type DEFAULT → EOPNOTSUPP; {@code dev_id} → ENOENT; {@code hwpt_id}
 * not an HWPT_PAGING → ENOENT; a parent that is not a nest parent, or of another unit → EINVAL; then
 * the driver's {@code allocViommu} (an unsupported type or a unit without nesting: EOPNOTSUPP; no
 * VMID left: ENOSPC). The kernel asks the driver about the type (its {@code viommu size}) before the
 * HWPT lookup; the SPI has no such question, so a bad type with a bad HWPT answers the HWPT's errno.
 *
 * <p>VDEVICE_ALLOC: {@code viommu_id} → ENOENT; {@code dev_id} → ENOENT; the device behind another
 * unit than the vIOMMU's → EINVAL; the device already has a vDEVICE → EEXIST; {@code virt_id}
 * already used in the vIOMMU → EEXIST.
 */
public final class ViommuCommands {
    private final IommufdContext context;

    ViommuCommands(IommufdContext context) {
        this.context = context;
    }

    /** @return {@code out_viommu_id} */
    public int allocViommu(int flags, int type, int devId, int hwptId, byte[] data) {
        if (flags != 0 || type == ViommuDescriptor.TYPE_DEFAULT) {
            throw IommuException.of(Errno.EOPNOTSUPP, "VIOMMU_ALLOC flags 0x%x type %d", flags, type);
        }
        IommufdPlatform platform = context.platform();
        ObjectTable table = context.objects();
        try (ObjectRef<DeviceObject> dev = table.get(devId, ObjectType.DEVICE, DeviceObject.class);
                ObjectRef<HwptPaging> parent = table.get(hwptId, ObjectType.HWPT_PAGING, HwptPaging.class)) {
            IommuUnit unit = dev.get().unit();
            HwptPaging p = parent.get();
            if (!p.nestParent() || p.unit() != unit) {
                throw IommuException.of(Errno.EINVAL, "%s is not a nest parent of unit %s", p, unit.name());
            }
            Viommu v = new Viommu(table, platform.registry(), unit);
            table.reserve(v);
            try {
                v.holdParent(p);
                byte[] bytes = data == null ? new byte[0] : data.clone();
                ViommuDescriptor d = UnitDriver.call(platform.registry(), unit,
                        drv -> drv.allocViommu(unit, p.descriptor(), type, bytes));
                v.setDescriptor(d);
            } catch (RuntimeException e) {
                table.abort(v);
                throw e;
            }
            table.publish(v);
            return v.id();
        }
    }

    /** @return {@code out_vdevice_id} */
    public int allocVdevice(int viommuId, int devId, long virtId) {
        ObjectTable table = context.objects();
        try (ObjectRef<Viommu> viommu = table.get(viommuId, ObjectType.VIOMMU, Viommu.class);
                ObjectRef<DeviceObject> dev = table.get(devId, ObjectType.DEVICE, DeviceObject.class)) {
            Viommu v = viommu.get();
            DeviceObject d = dev.get();
            if (d.unit() != v.unit()) {
                throw IommuException.of(Errno.EINVAL, "%s is behind unit %s, %s is on %s", d, d.unit().name(), v,
                        v.unit().name());
            }
            synchronized (d) {
                synchronized (v) {
                    if (d.vdevice() != null) {
                        throw IommuException.of(Errno.EEXIST, "%s already has %s", d, d.vdevice());
                    }
                    if (v.vdevice(virtId) != null) {
                        throw IommuException.of(Errno.EEXIST, "virt_id 0x%x is already used in %s by %s", virtId, v,
                                v.vdevice(virtId));
                    }
                    Vdevice vd = new Vdevice(table, v, d, virtId);
                    table.reserve(vd);
                    vd.link();
                    table.publish(vd);
                    return vd.id();
                }
            }
        }
    }
}
