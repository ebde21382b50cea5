package io.nestor.core.iommufd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.platform.MediatedDevice;
import io.nestor.core.unit.IommuUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A DEVICE object ({@code struct iommufd_device}): a platform device bound to this context, with
 * what it is attached to — its RID ({@link DeviceInfo#NO_PASID}) and each PASID, to one HWPT each —
 * and its vDEVICE, if any.
 *
 * <p>Binding claims the device in the platform's {@link DeviceBindings} and, as in the kernel, the
 * binding holds a user on the object, as does every attachment (RID or PASID): IOMMU_DESTROY of a
 * bound device answers EBUSY. VFIO unbind ({@link DeviceCommands#unbind}), also run for every
 * device when the context closes, detaches every PASID, then the RID, tombstones the vDEVICE, and
 * destroys the object, which releases the claim. Attach state is guarded by the object's lock;
 * {@link DeviceAttach} holds it for every change.
 *
 * <p>An IOMMU-backed mediated device ({@link MediatedDevice}) has its attachments, faults and page
 * requests in its own view — its "RID", {@link DeviceInfo#NO_PASID} — while the unit sees its
 * requester: the parent device with the default PASID ({@link #requester()},
 * {@link #requesterPasid}, {@link #issuedPasid}).
 */
public final class DeviceObject extends IommufdObject {
    private final IommufdContext context;
    private final IommufdPlatform platform;
    private final DeviceInfo info;
    private final IommuUnit unit;
    /** The mediation of a mediated device, else null. */
    private final MediatedDevice mediation;
    /** The device the unit sees: the parent of a mediated device, else {@link #info}. */
    private final DeviceInfo requester;
    /** PASID (or NO_PASID for the RID) → the HWPT attached there; guarded by this. */
    private final Map<Integer, Hwpt> attachments = new TreeMap<>();
    private Vdevice vdevice;
    private boolean bound;
    /** Whether the binding's own user is still held (until VFIO unbind). */
    private boolean bindingHeld = true;

    DeviceObject(IommufdContext context, IommufdPlatform platform, DeviceInfo info, IommuUnit unit) {
        super(ObjectType.DEVICE);
        this.context = context;
        this.platform = platform;
        this.info = info;
        this.unit = unit;
        this.mediation = platform.registry().topology().mediation(info.name()).orElse(null);
        this.requester = platform.registry().requester(info);
    }

    /**
     * Claims the device for the context (EBUSY / EINVAL as {@link DeviceBindings#bind}); a mediated
     * device and its parent exclude each other.
     */
    void claim() {
        List<String> exclusive = mediation != null ? List.of(mediation.parent())
                : platform.registry().topology().mediatedOf(info.name()).stream().map(MediatedDevice::name).toList();
        platform.bindings().bind(info, context, exclusive);
        bound = true;
    }

    /** Whether this is an IOMMU-backed mediated device. */
    public boolean mediated() {
        return mediation != null;
    }

    /** The physical device whose requests this device's are (the unit's view of it). */
    public DeviceInfo requester() {
        return requester;
    }

    /** The PASID the unit sees for this device's {@code pasid}: a mediated device's RID is its default PASID. */
    int requesterPasid(int pasid) {
        return mediation != null && pasid == DeviceInfo.NO_PASID ? mediation.defaultPasid() : pasid;
    }

    /** This device's view of a PASID the unit saw: a mediated device's default PASID is its RID. */
    int issuedPasid(int requesterPasid) {
        return mediation != null && requesterPasid == mediation.defaultPasid() ? DeviceInfo.NO_PASID : requesterPasid;
    }

    public DeviceInfo info() {
        return info;
    }

    public IommuUnit unit() {
        return unit;
    }

    IommufdContext context() {
        return context;
    }

    IommufdPlatform platform() {
        return platform;
    }

    /** The HWPT attached at {@code pasid} (NO_PASID: the RID), or null. */
    public synchronized Hwpt attached(int pasid) {
        return attachments.get(pasid);
    }

    /** Every attachment, PASID → HWPT id (NO_PASID first). */
    public synchronized Map<Integer, Integer> attachmentIds() {
        Map<Integer, Integer> out = new TreeMap<>();
        attachments.forEach((p, h) -> out.put(p, h.id()));
        return out;
    }

    Map<Integer, Hwpt> attachmentsLocked() {
        return attachments;
    }

    synchronized boolean bindingHeld() {
        return bindingHeld;
    }

    synchronized void dropBinding() {
        bindingHeld = false;
    }

    synchronized Vdevice vdevice() {
        return vdevice;
    }

    synchronized void setVdevice(Vdevice v) {
        vdevice = v;
    }

    /** The device's {@code max_pasids} as a width: min(device, unit), 0 without PASID. */
    int pasidBits() {
        return info.pasidBits() == 0 ? 0 : Math.min(info.pasidBits(), unit.features().pasidBits());
    }

    @Override
    protected void destroy() {
        DeviceAttach.detachAll(this);
        if (bound) {
            platform.bindings().unbind(info, context);
            bound = false;
        }
    }

    @Override
    public String toString() {
        return super.toString() + "(" + info.name() + ")";
    }
}
