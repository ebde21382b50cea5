package io.nestor.core.vfio;

import io.nestor.api.driver.DeviceInfo;

/**
 * A group's device as the container holds it: the platform device and its DEVICE object in the
 * container's private iommufd context (the DMA-ownership claim {@code vfio_container_attach_group}
 * takes with {@code iommu_group_claim_dma_owner}).
 */
record ContainerDevice(int group, DeviceInfo info, int devId) {
}
