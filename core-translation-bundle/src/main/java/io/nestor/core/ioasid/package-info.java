/**
 * The IOASID (PASID) allocator: one system-wide PASID space, split into per-context sets with
 * quotas, with custom allocators that other bundles register as
 * {@link io.nestor.api.ioasid.IoasidAllocator} services — the design of the kernel's
 * {@code drivers/iommu/ioasid.c} (5.5–6.4) and of Jacob Pan's IOASID-set series (2020–21) that
 * the VFIO PASID-request series used. Entry points: {@link io.nestor.core.ioasid.IoasidSpace},
 * {@link io.nestor.core.ioasid.IoasidSet}, {@link io.nestor.core.ioasid.IoasidAllocatorTracker}.
 *
 * <p>Internal to the core bundle; not exported.
 */
package io.nestor.core.ioasid;
