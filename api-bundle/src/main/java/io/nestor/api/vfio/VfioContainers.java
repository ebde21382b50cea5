package io.nestor.api.vfio;

import io.nestor.api.error.IommuException;
import java.util.List;

/**
 * The VFIO type1 containers of one session and the ioctls on them. Each method names the container by
 * the handle {@link #open()} returned (the descriptor of {@code /dev/vfio/vfio}); a handle the session
 * does not hold, or a closed one, answers {@code EBADF}.
 *
 * <p>IOMMU groups are the platform's ({@code /dev/vfio/N}): one per topology device, numbered in
 * topology order from 0. A group is held by one session at a time; its device, while in a container,
 * is the session's (DMA from it by any other session finds no such device).
 *
 * <p>Every ioctl but {@link #apiVersion}, {@link #checkExtension} and {@link #setIommu} needs the
 * container's IOMMU set: {@code EINVAL} before {@code VFIO_SET_IOMMU}. Containers and their mappings
 * count against the session's object quota ({@code ENOSPC} beyond it); PASIDs against its PASID quota.
 */
public interface VfioContainers {

    /**
     * Opens a container ({@code open("/dev/vfio/vfio")}).
     *
     * @return the container's handle, unique within the session, counting up from 1
     * @throws IommuException ENOSPC beyond the session's object quota
     */
    int open();

    /**
     * Closes a container: every binding, PASID table and mapping is undone, every group released
     * ({@code close(fd)}). The session's PASIDs stay allocated until freed or the session closes.
     *
     * @throws IommuException EBADF for a handle the session does not hold
     */
    void close(int container);

    /** The session's open container handles, ascending. */
    List<Integer> containers();

    /** {@code VFIO_GET_API_VERSION}: {@code VFIO_API_VERSION}, 0. */
    int apiVersion(int container);

    /**
     * {@code VFIO_CHECK_EXTENSION}: 1 for TYPE1 (1), TYPE1v2 (3) and UNMAP_ALL (9); for
     * TYPE1_NESTING (6), 1 when every unit concerned (the container's groups', or the platform's while
     * it has none) nests; for DMA_CC (4), 1 once the IOMMU is set; 0 otherwise (UPDATE_VADDR 10
     * included: live vaddr update is not offered).
     */
    int checkExtension(int container, int extension);

    /**
     * {@code VFIO_GROUP_SET_CONTAINER}.
     *
     * @throws IommuException ENOENT for a group the platform lacks; EBUSY when another session holds it
     *     or an iommufd context has bound its device; EINVAL when it is already in a container of this
     *     session; with the IOMMU set, the attach's errors
     */
    void setContainer(int container, int group);

    /**
     * {@code VFIO_GROUP_UNSET_CONTAINER}: the last group leaving releases the container's IOMMU (every
     * mapping goes).
     *
     * @throws IommuException EINVAL for a group not in this container
     */
    void unsetContainer(int container, int group);

    /**
     * {@code VFIO_SET_IOMMU}: TYPE1v2 (3), TYPE1 (1), or TYPE1_NESTING (6) of the vSVA series.
     *
     * @throws IommuException EINVAL without a group or with the IOMMU already set; ENODEV for a type
     *     {@link #checkExtension} does not report; the attach's errors
     */
    void setIommu(int container, int type);

    /**
     * {@code VFIO_IOMMU_GET_INFO} into a caller buffer of {@code argsz} bytes (unsigned 32-bit).
     *
     * @throws IommuException EINVAL for {@code argsz} below 16 (the end of {@code iova_pgsizes})
     */
    VfioIommuInfo getInfo(int container, long argsz);

    /**
     * {@code VFIO_IOMMU_MAP_DMA}.
     *
     * @throws IommuException EINVAL for unknown flags, sizes or IOVAs not aligned to the smallest page,
     *     a range outside the valid IOVA ranges; EEXIST for an overlap; ENOSPC at the container's
     *     {@code dma_entry_limit} or the session's object quota; EFAULT for a vaddr range outside the
     *     session's regions
     */
    void mapDma(int container, VfioDmaMap map);

    /**
     * {@code VFIO_IOMMU_UNMAP_DMA}: whole mappings only with TYPE1v2 (a range cutting one is EINVAL);
     * {@code ALL} with iova and size 0 unmaps everything.
     */
    VfioDmaUnmapResult unmapDma(int container, VfioDmaUnmap unmap);

    /**
     * {@code VFIO_IOMMU_DIRTY_PAGES}.
     *
     * @return with GET_BITMAP, the bitmap (little-endian 64-bit words); empty for START and STOP
     * @throws IommuException EACCES for a TYPE1 (v1) container; EINVAL for not exactly one flag and
     *     for GET_BITMAP's range and bitmap rules
     */
    byte[] dirtyPages(int container, VfioDirtyPages request);

    /**
     * {@code VFIO_IOMMU_NESTING_OP} (and this platform's ops 3–5, see {@link VfioNestingOp}).
     *
     * @throws IommuException EINVAL for unknown flags or ops, or a device not in the container;
     *     EOPNOTSUPP outside TYPE1_NESTING mode or for an op the unit's nesting info does not offer;
     *     the driver's errno for malformed data
     */
    void nestingOp(int container, VfioNestingOp op);

    /**
     * {@code VFIO_IOMMU_PASID_REQUEST}.
     *
     * @return ALLOC: the PASID allocated from the session's set; FREE: 0
     * @throws IommuException EINVAL for unknown flags, neither or both of ALLOC and FREE, or
     *     {@code min > max}; EOPNOTSUPP when the container has no system-wide PASIDs (not TYPE1_NESTING
     *     on a unit that allocates them); ENOSPC at the session's PASID quota or with none free
     */
    int pasidRequest(int container, VfioPasidRequest request);
}
