package io.nestor.api.vfio;

/**
 * One device of the platform as a VFIO user sees it.
 *
 * @param name the topology name, for example {@code "0000:00:02.0"}
 * @param unit the IOMMU unit behind it
 * @param group its IOMMU group (the number a VFIO container's group calls take)
 * @param bound whether some session holds it (bound to an iommufd context or in a container)
 * @param boundByCaller whether the asking session is that one
 */
public record VfioDeviceEntry(String name, String unit, int group, boolean bound, boolean boundByCaller) {
}
