package io.nestor.core.iommufd;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.unit.IommuUnit;

/**
 * IOMMU_HWPT_ALLOC ({@code iommufd_hwpt_alloc}, {@code hw_pagetable.c}) in the kernel's check order:
 * <ol>
 *   <li>{@code __reserved} → EOPNOTSUPP;</li>
 *   <li>{@code data_type} NONE with data, or a type without data → EINVAL;</li>
 *   <li>{@code dev_id} not a device → ENOENT;</li>
 *   <li>{@code pt_id} missing, or neither an IOAS, an HWPT_PAGING nor a vIOMMU → EINVAL;</li>
 *   <li>paging (IOAS): flags beyond NEST_PARENT | DIRTY_TRACKING | FAULT_ID_VALID | PASID, or vendor
 *       data (no driver takes paging data) → EOPNOTSUPP; DIRTY_TRACKING on a unit without
 *       {@code IOMMU_HW_CAP_DIRTY_TRACKING} → EOPNOTSUPP; FAULT_ID_VALID with NEST_PARENT →
 *       EOPNOTSUPP; then the driver's {@code allocPagingDomain} (its errno), the domain filled with
 *       every area ({@link IoPageTable#addDomain}'s errno);</li>
 *   <li>nested over an HWPT_PAGING: flags beyond FAULT_ID_VALID | PASID → EOPNOTSUPP; no data →
 *       EOPNOTSUPP; a parent that is automatic, not a nest parent, or of another unit → EINVAL; the
 *       driver's parse of the vendor data (its errno); a non-nested result → EOPNOTSUPP;</li>
 *   <li>nested over a vIOMMU: the device behind another unit → EINVAL; flags → EOPNOTSUPP; no data →
 *       EOPNOTSUPP; the driver's errno;</li>
 *   <li>FAULT_ID_VALID: {@code fault_id} not a FAULT object → ENOENT (after the allocation, which is
 *       undone).</li>
 * </ol>
 * The new HWPT is published only when everything succeeded; any failure leaves no id, no user, no
 * page and no driver tag behind. The driver sees the flags without FAULT_ID_VALID, which is
 * iommufd's own.
 */
public final class HwptCommands {
    private final IommufdContext context;

    HwptCommands(IommufdContext context) {
        this.context = context;
    }

    /** @return {@code out_hwpt_id} */
    public int alloc(HwptAllocCommand cmd) {
        if (cmd.reserved() != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "HWPT_ALLOC __reserved 0x%x", cmd.reserved());
        }
        int dataLen = cmd.data().length;
        if ((cmd.dataType() == HwptAllocFlags.DATA_NONE) != (dataLen == 0)) {
            throw IommuException.of(Errno.EINVAL, "data_type %d with data_len %d", cmd.dataType(), dataLen);
        }
        IommufdPlatform platform = context.platform();
        ObjectTable table = context.objects();
        try (ObjectRef<DeviceObject> dev = table.get(cmd.devId(), ObjectType.DEVICE, DeviceObject.class)) {
            ObjectRef<IommufdObject> pt;
            try {
                pt = table.getAny(cmd.ptId());
            } catch (IommuException e) {
                throw IommuException.of(Errno.EINVAL, "pt_id %d: %s", Integer.toUnsignedLong(cmd.ptId()),
                        e.rawMessage());
            }
            try (pt) {
                IommufdObject o = pt.get();
                if (o instanceof Ioas) {
                    return allocPaging(platform, dev.get(), (Ioas) o, cmd, dataLen);
                }
                if (o instanceof HwptPaging) {
                    return allocNested(platform, dev.get(), (HwptPaging) o, null, cmd, dataLen);
                }
                if (o instanceof Viommu) {
                    return allocNested(platform, dev.get(), null, (Viommu) o, cmd, dataLen);
                }
                throw IommuException.of(Errno.EINVAL, "pt_id %d is a %s, not an IOAS, HWPT_PAGING or VIOMMU",
                        Integer.toUnsignedLong(cmd.ptId()), o.type());
            }
        }
    }

    private int allocPaging(IommufdPlatform platform, DeviceObject dev, Ioas ioas, HwptAllocCommand cmd, int dataLen) {
        int flags = cmd.flags();
        if ((flags & ~HwptAllocFlags.PAGING_VALID) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "paging HWPT flags 0x%x name unknown bits 0x%x", flags,
                    flags & ~HwptAllocFlags.PAGING_VALID);
        }
        if (dataLen != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "paging HWPT with %d bytes of data type %d: %s takes none",
                    dataLen, cmd.dataType(), dev.unit().kind());
        }
        if ((flags & HwptAllocFlags.DIRTY_TRACKING) != 0 && !dirtyCapable(platform, dev.unit())) {
            throw IommuException.of(Errno.EOPNOTSUPP, "unit %s of %s cannot track dirty pages", dev.unit().name(),
                    dev.info().name());
        }
        if ((flags & HwptAllocFlags.FAULT_ID_VALID) != 0 && (flags & HwptAllocFlags.NEST_PARENT) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "a nest parent never faults to user space (flags 0x%x)", flags);
        }
        HwptPaging hwpt = HwptPaging.build(context, platform, ioas, dev.unit(), flags & ~HwptAllocFlags.FAULT_ID_VALID,
                false);
        return finish(hwpt, cmd);
    }

    private static boolean dirtyCapable(IommufdPlatform platform, IommuUnit unit) {
        HwInfo info = UnitDriver.call(platform.registry(), unit, d -> d.hwInfo(unit));
        return (info.capabilities() & HwInfo.CAP_DIRTY_TRACKING) != 0;
    }

    private int allocNested(IommufdPlatform platform, DeviceObject dev, HwptPaging parent, Viommu viommu,
            HwptAllocCommand cmd, int dataLen) {
        IommuUnit unit = dev.unit();
        if (viommu != null && viommu.unit() != unit) {
            throw IommuException.of(Errno.EINVAL, "%s is on unit %s, %s behind %s", viommu, viommu.unit().name(),
                    dev.info().name(), unit.name());
        }
        int flags = cmd.flags();
        if ((flags & ~HwptAllocFlags.NESTED_VALID) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "nested HWPT flags 0x%x: only FAULT_ID_VALID | PASID", flags);
        }
        if (dataLen == 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "a nested HWPT needs vendor data");
        }
        if (parent != null && (parent.autoDomain() || !parent.nestParent() || parent.unit() != unit)) {
            throw IommuException.of(Errno.EINVAL, "%s cannot be a nest parent for %s: %s", parent, dev.info().name(),
                    parent.autoDomain() ? "automatic" : !parent.nestParent() ? "not allocated with NEST_PARENT"
                            : "another unit");
        }
        ObjectTable table = context.objects();
        int driverFlags = flags & ~HwptAllocFlags.FAULT_ID_VALID;
        HwptNested hwpt = new HwptNested(table, platform.registry(), unit, driverFlags);
        table.reserve(hwpt);
        try {
            DomainDescriptor d;
            byte[] data = cmd.data();
            if (viommu != null) {
                hwpt.holdViommu(viommu);
                d = UnitDriver.call(platform.registry(), unit,
                        drv -> drv.allocNestedDomain(unit, viommu.descriptor(), driverFlags, cmd.dataType(), data));
            } else {
                hwpt.holdParent(parent);
                d = UnitDriver.call(platform.registry(), unit,
                        drv -> drv.allocNestedDomain(unit, parent.descriptor(), driverFlags, cmd.dataType(), data));
            }
            hwpt.setDescriptor(d);
            if (!d.nested()) {
                throw IommuException.of(Errno.EOPNOTSUPP, "%s driver returned a non-nested domain (tag %d)",
                        unit.kind(), d.tag());
            }
        } catch (RuntimeException e) {
            table.abort(hwpt);
            throw e;
        }
        return finish(hwpt, cmd);
    }

    /** FAULT_ID_VALID's lookup, then publish; any failure aborts the reserved HWPT. */
    private int finish(Hwpt hwpt, HwptAllocCommand cmd) {
        ObjectTable table = context.objects();
        try {
            if ((cmd.flags() & HwptAllocFlags.FAULT_ID_VALID) != 0) {
                try (ObjectRef<FaultQueueObject> f = table.get(cmd.faultId(), ObjectType.FAULT,
                        FaultQueueObject.class)) {
                    table.addUser(f.get());
                    hwpt.setFault(f.get());
                }
            }
        } catch (RuntimeException e) {
            table.abort(hwpt);
            throw e;
        }
        table.publish(hwpt);
        return hwpt.id();
    }
}
