package io.nestor.core.iommufd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which iommufd context owns each device of the platform: the kernel's DMA ownership claim that
 * {@code iommufd_device_bind} takes ({@code iommu_device_claim_dma_owner} with the context as the
 * owner cookie). One instance is shared by every context of a platform — the platform (or whoever
 * creates contexts) holds it and passes it in through {@link IommufdPlatform}.
 *
 * <p>A device bound to one context answers EBUSY to every other; binding it again into the same
 * context answers EINVAL, as VFIO refuses a second bind of one device ("one device cannot be bound
 * twice"). Devices are keyed by unit and name, which the topology makes unique.
 *
 * <p>A mediated device and its parent share one requester on the bus, so they never have DMA owners
 * at the same time: binding one while the other is bound (to any context, this one included)
 * answers EBUSY — the parent of bound mediated devices belongs to the host, as the parent driver
 * of an mdev does in the kernel. Sibling mediated devices are independent.
 *
 * <p>Thread-safe: one lock (this object), never held while calling out.
 */
public final class DeviceBindings {
    private final Map<String, Object> owners = new HashMap<>();

    private static String key(DeviceInfo device) {
        return device.unit() + "/" + device.name();
    }

    /**
     * Claims {@code device} for {@code owner}.
     *
     * @throws IommuException EBUSY when another owner holds it, EINVAL when {@code owner} already does
     */
    public void bind(DeviceInfo device, Object owner) {
        bind(device, owner, List.of());
    }

    /**
     * Claims {@code device} for {@code owner} unless one of {@code exclusive} — devices of the same
     * unit that share its requester: a mediated device's parent, a parent's mediated devices — is
     * bound.
     *
     * @throws IommuException EBUSY when another owner holds it or one of {@code exclusive} is bound,
     *     EINVAL when {@code owner} already holds it
     */
    public synchronized void bind(DeviceInfo device, Object owner, List<String> exclusive) {
        Object current = owners.get(key(device));
        if (current == owner) {
            throw IommuException.of(Errno.EINVAL, "device %s is already bound to this context", device.name());
        }
        if (current != null) {
            throw IommuException.of(Errno.EBUSY, "device %s is bound to another context", device.name());
        }
        for (String other : exclusive) {
            if (owners.containsKey(device.unit() + "/" + other)) {
                throw IommuException.of(Errno.EBUSY, "device %s shares its requester with %s, which is bound: a "
                        + "mediated device and its parent are never owned at once", device.name(), other);
            }
        }
        owners.put(key(device), owner);
    }

    /** Releases {@code owner}'s claim; a claim held by someone else stays. */
    public synchronized void unbind(DeviceInfo device, Object owner) {
        owners.remove(key(device), owner);
    }

    /** The owner of {@code device}, or null. */
    public synchronized Object owner(DeviceInfo device) {
        return owners.get(key(device));
    }

    /** How many devices are bound, to any context. */
    public synchronized int boundCount() {
        return owners.size();
    }
}
