/**
 * The PASID (I/O address space ID) allocation contract: a bundle that owns PASID allocation for the
 * platform — for example one that forwards it to an outer host, the way a VT-d guest driver sends
 * it to its host through the virtual command interface — registers an
 * {@link io.nestor.api.ioasid.IoasidAllocator} service, and the core's system-wide PASID space
 * uses it while it is registered (the custom allocators of the kernel's IOASID allocator,
 * {@code drivers/iommu/ioasid.c}, 5.x).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.nestor.api.ioasid;
