package io.nestor.core.iommufd;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.core.unit.IommuUnit;

/**
 * What HWPT_PAGING and HWPT_NESTED share ({@code struct iommufd_hw_pagetable}): the unit and the
 * driver's domain a device attaches to, and whether it may serve PASIDs ({@code pasid_compat}, from
 * {@code IOMMU_HWPT_ALLOC_PASID}).
 *
 * <p>Every attachment (a device's RID or one of its PASIDs) holds one user on the HWPT, so DESTROY
 * answers EBUSY while anything is attached, as in the kernel.
 */
public abstract class Hwpt extends IommufdObject {

    /** The FAULT object its page requests go to, or null; set before publish, released at destroy. */
    private volatile FaultQueueObject fault;

    protected Hwpt(ObjectType type) {
        super(type);
    }

    /** The unit the domain belongs to; null for a core-only paging domain (tests). */
    public abstract IommuUnit unit();

    /** The driver's domain; null for a core-only paging domain (tests). */
    public abstract DomainDescriptor descriptor();

    /** Whether it may be attached to a PASID ({@code IOMMU_HWPT_ALLOC_PASID}). */
    public final boolean pasidCompat() {
        return (flags() & HwptAllocFlags.PASID) != 0;
    }

    /** The {@code IOMMU_HWPT_ALLOC_*} flags it was allocated with. */
    public abstract int flags();

    /** The FAULT object its page requests go to ({@code IOMMU_HWPT_FAULT_ID_VALID}), or null. */
    public final FaultQueueObject faultQueue() {
        return fault;
    }

    /** Takes {@code f} (already holding a user for this HWPT) as the fault queue. */
    final void setFault(FaultQueueObject f) {
        fault = f;
    }

    /** Drops the user the HWPT holds on its fault queue, if any (from {@link #destroy()}). */
    protected final void releaseFault(ObjectTable table) {
        FaultQueueObject f = fault;
        if (f != null) {
            fault = null;
            table.dropUser(f);
        }
    }
}
