/**
 * The legacy VFIO type1 container uAPI ({@code include/uapi/linux/vfio.h}) for one session, with the
 * operations of the never-merged vSVA nesting series (TYPE1_NESTING mode, {@code VFIO_IOMMU_NESTING_OP},
 * {@code VFIO_IOMMU_PASID_REQUEST}): containers named by the session's own handles (the descriptor of
 * an open {@code /dev/vfio/vfio}), one method per ioctl, records mirroring the kernel structs.
 * Checks, their order and the errno of each failure follow the kernel; a failed call changes nothing.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.nestor.api.vfio;
