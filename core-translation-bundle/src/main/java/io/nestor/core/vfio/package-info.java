/**
 * The VFIO type1 container ({@code include/uapi/linux/vfio.h}, {@code drivers/vfio/vfio_iommu_type1.c})
 * as a layer over the iommufd machinery, the way iommufd's {@code vfio_compat.c} layers it, but with
 * the real type1 semantics: the v1 / v2 unmap rules, {@code dma_entry_limit}, the dirty-page bitmap
 * ioctls, and the operations of the never-merged vSVA nesting series (TYPE1_NESTING mode,
 * {@code VFIO_IOMMU_NESTING_OP}, {@code VFIO_IOMMU_PASID_REQUEST}, the SMMUv3 PASID-table bind and
 * the page response).
 *
 * <p>File map: {@code vfio_container.c} (container ioctls, SET_IOMMU, groups) and
 * {@code vfio_iommu_type1.c} (everything after SET_IOMMU) → {@link io.nestor.core.vfio.VfioContainer};
 * {@code vfio_info_cap_add} / {@code vfio_info_cap_shift} → {@link io.nestor.core.vfio.VfioInfoCaps};
 * {@code vfio_iommu_type1_get_info} → {@link io.nestor.core.vfio.VfioIommuInfo}; the per-mapping
 * {@code struct vfio_dma} → {@link io.nestor.core.vfio.VfioDma}; {@code vfio_pasid.c}'s per-VM set →
 * the session's {@link io.nestor.core.ioasid.IoasidSet}.
 *
 * <p>Underneath, each container has a private {@link io.nestor.core.iommufd.IommufdContext}: its
 * groups' devices are DEVICE objects there (claimed in the platform's device bindings, so an iommufd
 * context cannot bind them meanwhile, and the other way round), its mappings are areas of one IOAS,
 * and each unit's stage-2 is an HWPT_PAGING allocated through HWPT_ALLOC and attached as VFIO's cdev
 * attaches. The type1 rules are applied on top, before the iommufd commands run.
 *
 * <p>IOMMU groups: the platform has one group per topology device (a topology has no
 * multi-function isolation boundaries to model), numbered in topology order from 0
 * ({@link io.nestor.core.vfio.VfioGroupTable}).
 *
 * <p>Lock order: the container's lock → its private context's locks (object table → IOAS page
 * table → builder → page allocator; a unit's driver lease → the unit's register lock); the
 * container's lock → the IOASID space's lock. The group table's lock is never held while calling out.
 *
 * <p>Internal to the core bundle; not exported.
 */
package io.nestor.core.vfio;
