package io.nestor.core.iommufd;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.unit.IommuUnit;

/**
 * An HWPT_NESTED object ({@code struct iommufd_hwpt_nested}): a stage-1 domain the driver built
 * from vendor data over a nest-parent HWPT_PAGING, or over a vIOMMU. It holds a user on its parent
 * (or vIOMMU) for its whole life, so destroying that answers EBUSY, and registers its hardware tag
 * with the parent so that every flush of the parent's table reaches what it cached.
 */
public final class HwptNested extends Hwpt {
    private final ObjectTable table;
    private final DriverRegistry registry;
    private final IommuUnit unit;
    private final int flags;
    private HwptPaging parent;
    private Viommu viommu;
    private DomainDescriptor descriptor;

    HwptNested(ObjectTable table, DriverRegistry registry, IommuUnit unit, int flags) {
        super(ObjectType.HWPT_NESTED);
        this.table = table;
        this.registry = registry;
        this.unit = unit;
        this.flags = flags;
    }

    /** Takes the parent (a user is added here) before the driver allocates. */
    void holdParent(HwptPaging p) {
        table.addUser(p);
        parent = p;
    }

    /** Takes the vIOMMU (a user is added here) before the driver allocates. */
    void holdViommu(Viommu v) {
        table.addUser(v);
        viommu = v;
        parent = v.parent();
    }

    /** The driver's domain: its tag joins the parent's dependents. */
    void setDescriptor(DomainDescriptor d) {
        descriptor = d;
        if (parent != null && viommu == null) {
            parent.addDependentTag(d.tag());
        }
    }

    /** The stage-2 parent (the vIOMMU's for a vIOMMU-based domain). */
    public HwptPaging parent() {
        return parent;
    }

    /** The vIOMMU it was allocated on, or null. */
    public Viommu viommu() {
        return viommu;
    }

    @Override
    public IommuUnit unit() {
        return unit;
    }

    @Override
    public DomainDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public int flags() {
        return flags;
    }

    @Override
    protected void destroy() {
        if (descriptor != null) {
            DomainDescriptor d = descriptor;
            descriptor = null;
            DriverCleanup.run(registry, unit, "free of nested domain tag " + d.tag(), drv -> drv.freeDomain(unit, d));
            if (viommu == null && parent != null) { // registered by setDescriptor
                parent.removeDependentTag(d.tag());
            }
        }
        releaseFault(table);
        if (viommu != null) {
            table.dropUser(viommu);
            viommu = null;
        } else if (parent != null) {
            table.dropUser(parent);
        }
        parent = null;
    }
}
