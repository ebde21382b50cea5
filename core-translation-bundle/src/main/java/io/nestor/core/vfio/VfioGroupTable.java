package io.nestor.core.vfio;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.platform.DriverRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The platform's IOMMU groups as VFIO sees them ({@code /dev/vfio/N}) and which container holds
 * each.
 *
 * <p>One group per topology device, numbered from 0 in the topology's device order: the topology
 * describes no isolation boundary (a PCIe switch without ACS, a multi-function device) that would
 * put two devices in one group. A topology replacement renumbers the groups; containers holding
 * groups of the old topology keep their devices until they let go.
 *
 * <p>Ownership follows the kernel: a group file can be open in one process only (a second
 * {@code open} is EBUSY), so a group another session holds answers EBUSY; a group already in a
 * container of the same session answers EINVAL ({@code vfio_group_ioctl_set_container}:
 * {@code group->container} is set).
 *
 * <p>Thread-safe: one lock, never held while calling out.
 */
public final class VfioGroupTable {
    private final DriverRegistry registry;
    private final Map<Integer, Holder> holders = new HashMap<>();

    private record Holder(Object session, VfioContainer container) {
    }

    public VfioGroupTable(DriverRegistry registry) {
        this.registry = registry;
    }

    /** The device that makes up group {@code group}: ENOENT for a group the platform does not have. */
    public DeviceInfo device(int group) {
        List<DeviceInfo> devices = registry.topology().devices();
        if (group < 0 || group >= devices.size()) {
            throw IommuException.of(Errno.ENOENT, "no IOMMU group %d (the platform has %d)",
                    Integer.toUnsignedLong(group), devices.size());
        }
        return devices.get(group);
    }

    /** The group of the named device: ENOENT for an unknown device. */
    public int groupOf(String deviceName) {
        List<DeviceInfo> devices = registry.topology().devices();
        for (int i = 0; i < devices.size(); i++) {
            if (devices.get(i).name().equals(deviceName)) {
                return i;
            }
        }
        throw IommuException.of(Errno.ENOENT, "no device named '%s'", deviceName);
    }

    /**
     * Records that {@code container} of {@code session} holds {@code group}.
     *
     * @throws IommuException EBUSY when another session holds it, EINVAL when a container of this
     *     session does
     */
    synchronized void claim(int group, Object session, VfioContainer container) {
        Holder h = holders.get(group);
        if (h != null) {
            if (h.session != session) {
                throw IommuException.of(Errno.EBUSY, "IOMMU group %d is held by another session", group);
            }
            throw IommuException.of(Errno.EINVAL, "IOMMU group %d is already in %s", group,
                    h.container == container ? "this container" : "another container of this session");
        }
        holders.put(group, new Holder(session, container));
    }

    /** Forgets that {@code container} holds {@code group}. */
    synchronized void release(int group, VfioContainer container) {
        Holder h = holders.get(group);
        if (h != null && h.container == container) {
            holders.remove(group);
        }
    }

    /** The container holding {@code group}, if any. */
    public synchronized Optional<VfioContainer> holder(int group) {
        Holder h = holders.get(group);
        return h == null ? Optional.empty() : Optional.of(h.container);
    }
}
