package io.nestor.core.iommufd;

/**
 * A VEVENTQ object ({@code struct iommufd_veventq}, {@code IOMMU_VEVENTQ_ALLOC}): the
 * {@link VeventQueue} of one type of event a vIOMMU reports for its guest. At most one per
 * (vIOMMU, type); it holds a user on the vIOMMU, so the vIOMMU cannot be destroyed first, and
 * leaves the vIOMMU's table of queues when destroyed (events of that type are then dropped, as the
 * kernel drops an event reported with no queue).
 */
public final class VeventqObject extends IommufdObject {
    /** {@code IOMMU_VEVENTQ_TYPE_DEFAULT}: reserved. */
    public static final int TYPE_DEFAULT = 0;
    /** {@code IOMMU_VEVENTQ_TYPE_ARM_SMMUV3}: data is {@code struct iommu_vevent_arm_smmuv3}. */
    public static final int TYPE_ARM_SMMUV3 = 1;

    private final IommufdContext context;
    private final ObjectTable table;
    private final Viommu viommu;
    private final int veventType;
    private final VeventQueue queue;
    private boolean linked;

    VeventqObject(IommufdContext context, ObjectTable table, Viommu viommu, int type, int depth) {
        super(ObjectType.VEVENTQ);
        this.context = context;
        this.table = table;
        this.viommu = viommu;
        this.veventType = type;
        this.queue = new VeventQueue(depth);
    }

    /** Takes the user on the vIOMMU and enters its table; called while reserved, under the vIOMMU's lock. */
    void link() {
        table.addUser(viommu);
        viommu.addVeventq(this);
        linked = true;
    }

    public Viommu viommu() {
        return viommu;
    }

    /** {@code enum iommu_veventq_type}. */
    public int veventType() {
        return veventType;
    }

    public VeventQueue queue() {
        return queue;
    }

    /** {@code iommufd_viommu_report_event}: queues one event's data and tells the listener. */
    void report(byte[] data) {
        queue.report(data);
        context.queueListener().veventReadable(id());
    }

    @Override
    protected void destroy() {
        if (linked) {
            linked = false;
            viommu.removeVeventq(this);
            table.dropUser(viommu);
        }
    }
}
