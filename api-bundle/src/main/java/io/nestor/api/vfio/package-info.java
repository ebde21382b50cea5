/**
 * The VFIO device side of a session ({@code include/uapi/linux/vfio.h}, the device cdev with
 * iommufd): the platform's devices, binding one to an iommufd context, attaching its RID or a PASID
 * to an IOAS or HWPT, and its PCI configuration space as vfio-pci shows it. A device bound by
 * another session is answered as if it did not exist.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.nestor.api.vfio;
