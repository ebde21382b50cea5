package io.nestor.core.iommufd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.ViommuDescriptor;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.unit.IommuUnit;
import java.util.HashMap;
import java.util.Map;

/**
 * A VIOMMU object ({@code struct iommufd_viommu}, {@code viommu.c}): one VM's virtualisation
 * context on one unit, over a nest-parent HWPT_PAGING, with the vDEVICEs that map the guest's
 * device ids (vSID / vRID) to the platform's devices. It holds a user on the parent, and registers
 * the tag it owns (the SMMU VMID) with the parent so the parent's flushes reach it.
 */
public final class Viommu extends IommufdObject {
    private final ObjectTable table;
    private final DriverRegistry registry;
    private final IommuUnit unit;
    private HwptPaging parent;
    private ViommuDescriptor descriptor;
    /** virt_id → vDEVICE; guarded by this. */
    private final Map<Long, Vdevice> vdevices = new HashMap<>();
    /** veventq type → its queue (at most one per type); guarded by this. */
    private final Map<Integer, VeventqObject> veventqs = new HashMap<>();

    Viommu(ObjectTable table, DriverRegistry registry, IommuUnit unit) {
        super(ObjectType.VIOMMU);
        this.table = table;
        this.registry = registry;
        this.unit = unit;
    }

    void holdParent(HwptPaging p) {
        table.addUser(p);
        parent = p;
    }

    void setDescriptor(ViommuDescriptor d) {
        descriptor = d;
        parent.addDependentTag(d.tag());
    }

    public IommuUnit unit() {
        return unit;
    }

    public HwptPaging parent() {
        return parent;
    }

    public ViommuDescriptor descriptor() {
        return descriptor;
    }

    /** The device behind guest id {@code virtId}, or null (the driver's vSID lookup). */
    synchronized DeviceInfo deviceFor(long virtId) {
        Vdevice v = vdevices.get(virtId);
        return v == null ? null : v.device().info();
    }

    synchronized Vdevice vdevice(long virtId) {
        return vdevices.get(virtId);
    }

    synchronized void addVdevice(Vdevice v) {
        vdevices.put(v.virtId(), v);
    }

    synchronized void removeVdevice(Vdevice v) {
        vdevices.remove(v.virtId(), v);
    }

    /** The queue of {@code type} ({@code iommufd_viommu_find_veventq}), or null. */
    synchronized VeventqObject veventq(int type) {
        return veventqs.get(type);
    }

    synchronized void addVeventq(VeventqObject q) {
        veventqs.put(q.veventType(), q);
    }

    synchronized void removeVeventq(VeventqObject q) {
        veventqs.remove(q.veventType(), q);
    }

    @Override
    protected void destroy() {
        if (descriptor != null) {
            ViommuDescriptor d = descriptor;
            descriptor = null;
            DriverCleanup.run(registry, unit, "free of vIOMMU tag " + d.tag(), drv -> drv.freeViommu(unit, d));
            parent.removeDependentTag(d.tag());
        }
        if (parent != null) {
            table.dropUser(parent);
            parent = null;
        }
    }
}
