package io.nestor.core.iommufd;

/**
 * A VDEVICE object ({@code struct iommufd_vdevice}): a device as one vIOMMU's guest names it
 * ({@code virt_id}: vSID for SMMUv3, vRID for VT-d). One per device; {@code virt_id} unique per
 * vIOMMU. It holds a user on its vIOMMU and on its device, so neither can be destroyed first.
 */
public final class Vdevice extends IommufdObject {
    private final ObjectTable table;
    private final Viommu viommu;
    private final DeviceObject device;
    private final long virtId;
    private boolean linked;

    Vdevice(ObjectTable table, Viommu viommu, DeviceObject device, long virtId) {
        super(ObjectType.VDEVICE);
        this.table = table;
        this.viommu = viommu;
        this.device = device;
        this.virtId = virtId;
    }

    /** Takes the users and enters the vIOMMU's and the device's tables; called while reserved. */
    void link() {
        table.addUser(viommu);
        table.addUser(device);
        viommu.addVdevice(this);
        device.setVdevice(this);
        linked = true;
    }

    public Viommu viommu() {
        return viommu;
    }

    public DeviceObject device() {
        return device;
    }

    public long virtId() {
        return virtId;
    }

    @Override
    protected void destroy() {
        if (linked) {
            linked = false;
            viommu.removeVdevice(this);
            device.setVdevice(null);
            table.dropUser(device);
            table.dropUser(viommu);
        }
    }
}
