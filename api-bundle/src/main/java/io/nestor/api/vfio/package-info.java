/**
 * The VFIO uAPI ({@code include/uapi/linux/vfio.h}) for one session, in two parts.
 * <ul>
 *   <li>The device side (the device cdev with iommufd): the platform's devices, binding one to an
 *       iommufd context, attaching its RID or a PASID to an IOAS or HWPT, and its PCI
 *       configuration space as vfio-pci shows it. A device bound by another session is answered
 *       as if it did not exist.</li>
 *   <li>The legacy type1 container, with the operations of the never-merged vSVA nesting series
 *       (TYPE1_NESTING mode, {@code VFIO_IOMMU_NESTING_OP}, {@code VFIO_IOMMU_PASID_REQUEST}):
 *       containers named by the session's own handles (the descriptor of an open
 *       {@code /dev/vfio/vfio}), one method per ioctl, records mirroring the kernel structs.</li>
 * </ul>
 * Checks, their order and the errno of each failure follow the kernel; a failed call changes nothing.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.nestor.api.vfio;
