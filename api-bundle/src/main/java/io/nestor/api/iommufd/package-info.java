/**
 * The iommufd uAPI ({@code include/uapi/linux/iommufd.h}) for one session: contexts (the analogue
 * of an open {@code /dev/iommu}) and the IOAS ioctls, with records mirroring the kernel structs.
 * Checks, their order and the errno of each failure follow the kernel; a failed call changes
 * nothing.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.nestor.api.iommufd;
