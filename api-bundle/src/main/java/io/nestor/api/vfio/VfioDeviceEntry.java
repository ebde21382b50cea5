package io.nestor.api.vfio;

/**
 * One device of the platform as a VFIO user sees it.
 *
 * @param name the topology name, for example {@code "0000:00:02.0"}
 * @param unit the IOMMU unit behind it
 * @param group its IOMMU group (the number a VFIO container's group calls take)
 * @param bound whether some session holds it (bound to an iommufd context or in a container)
 * @param boundByCaller whether the asking session is that one
 * @param parent for an IOMMU-backed mediated device, its parent's name; empty otherwise (since 1.1)
 * @param defaultPasid for a mediated device, the parent's PASID its DMA carries; 0 otherwise (since 1.1)
 */
public record VfioDeviceEntry(String name, String unit, int group, boolean bound, boolean boundByCaller,
        String parent, int defaultPasid) {

    /** A physical device's entry (the 1.0 form). */
    public VfioDeviceEntry(String name, String unit, int group, boolean bound, boolean boundByCaller) {
        this(name, unit, group, bound, boundByCaller, "", 0);
    }

    public VfioDeviceEntry {
        parent = parent == null ? "" : parent;
    }

    /** Whether this is an IOMMU-backed mediated device. */
    public boolean mediated() {
        return !parent.isEmpty();
    }
}
