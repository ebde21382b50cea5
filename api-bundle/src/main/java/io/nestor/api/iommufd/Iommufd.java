package io.nestor.api.iommufd;

import io.nestor.api.error.IommuException;
import java.util.List;

/**
 * The iommufd contexts of one session and the ioctls on them. Each method names the context by the
 * handle {@link #open()} returned (the descriptor); a handle the session does not hold answers
 * {@code EBADF}, an object id the context does not hold {@code ENOENT}.
 */
public interface Iommufd {

    /**
     * Opens a context ({@code open("/dev/iommu")}).
     *
     * @return the context's handle, unique within the session
     * @throws IommuException ENOSPC beyond the session's object quota
     */
    int open();

    /**
     * Closes a context: every object in it is destroyed, every pin released ({@code close(fd)}).
     *
     * @throws IommuException EBADF for a handle the session does not hold
     */
    void close(int iommufd);

    /** The session's open context handles, ascending. */
    List<Integer> contexts();

    /** {@code IOMMU_DESTROY}: ENOENT for an unknown id, EBUSY while the object is in use. */
    void destroy(int iommufd, int id);

    /**
     * {@code IOMMU_FAULT_QUEUE_ALLOC}. The queue's page-request groups arrive on the session's event
     * subscriptions ({@link io.nestor.api.event.SessionEventListener#pageFault}) as its fd's read()
     * returns them.
     *
     * @return {@code out_fault_id}
     * @throws IommuException EOPNOTSUPP for any flag, ENOSPC beyond the session's object quota
     */
    int faultQueueAlloc(int iommufd, int flags);

    /**
     * write() of {@code struct iommu_hwpt_page_response} records ({@code u32 cookie; u32 code;},
     * little-endian) to a fault queue's fd; each answered group's response goes to its device.
     *
     * @return the bytes consumed (fewer than given when a later record was bad)
     * @throws IommuException ENOENT for a bad {@code faultId}; ESPIPE for a length that is not a
     *     multiple of 8; EINVAL when the first record has a bad code or an unknown cookie
     */
    int faultRespond(int iommufd, int faultId, byte[] responses);

    /**
     * {@code IOMMU_VEVENTQ_ALLOC}. The queue's vEVENTs arrive on the session's event subscriptions
     * ({@link io.nestor.api.event.SessionEventListener#vevent}).
     *
     * @return {@code out_veventq_id}
     * @throws IommuException EOPNOTSUPP for flags or type DEFAULT or a type the vIOMMU does not
     *     report; EINVAL for depth 0; ENOENT for a bad vIOMMU; EEXIST for a second queue of a type
     */
    int veventqAlloc(int iommufd, int flags, int viommuId, int type, int veventqDepth);

    /**
     * {@code IOMMU_IOAS_ALLOC}.
     *
     * @return {@code out_ioas_id}
     * @throws IommuException EOPNOTSUPP for any flag, ENOSPC beyond the session's object quota
     */
    int ioasAlloc(int iommufd, int flags);

    /**
     * {@code IOMMU_IOAS_IOVA_RANGES}.
     *
     * @param numIovas the capacity of the caller's array
     * @throws IommuException ENOENT for a bad IOAS; EMSGSIZE when more ranges exist than
     *     {@code numIovas}, with the needed count as the out value {@code num_iovas} (and
     *     {@code out_iova_alignment}), as the ioctl writes them back before failing
     */
    IovaRanges ioasIovaRanges(int iommufd, int ioasId, int numIovas);

    /** {@code IOMMU_IOAS_ALLOW_IOVAS}: EINVAL for a bad or overlapping range, EADDRINUSE over a reserved one. */
    void ioasAllowIovas(int iommufd, int ioasId, List<IovaRange> allowedIovas);

    /**
     * {@code IOMMU_IOAS_MAP}.
     *
     * @return the IOVA mapped at
     */
    long ioasMap(int iommufd, IoasMap map);

    /**
     * {@code IOMMU_IOAS_MAP_FILE}, the file being one of the session's memory regions.
     *
     * @return the IOVA mapped at
     * @throws IommuException EBADF for a region the session does not hold, besides MAP's errors
     */
    long ioasMapFile(int iommufd, IoasMapFile map);

    /**
     * {@code IOMMU_IOAS_COPY}.
     *
     * @return the destination IOVA
     */
    long ioasCopy(int iommufd, IoasCopy copy);

    /**
     * {@code IOMMU_IOAS_UNMAP}; {@code iova 0, length 2^64-1} unmaps everything.
     *
     * @return bytes unmapped
     */
    long ioasUnmap(int iommufd, int ioasId, long iova, long length);

    /**
     * {@code IOMMU_OPTION}.
     *
     * @return {@code val64} as the ioctl writes it back
     */
    long option(int iommufd, IommuOption option);

    /**
     * {@code IOMMU_VFIO_IOAS}: the context's VFIO compat IOAS, the one the legacy VFIO container
     * ioctls use. {@code op} 0 (GET) reports its id; 1 (SET) makes {@code ioasId} the compat IOAS;
     * 2 (CLEAR) forgets it without destroying it. The compat IOAS holds no reference: DESTROY of it
     * succeeds and forgets it.
     *
     * @param ioasId read by SET only
     * @return {@code ioas_id} as the ioctl leaves it: the compat IOAS's id for GET, {@code ioasId}
     *     for SET and CLEAR
     * @throws IommuException EOPNOTSUPP for an unknown op, ENODEV for GET with no compat IOAS,
     *     ENOENT for SET of an id that is not an IOAS of the context (API 1.2)
     */
    int vfioIoas(int iommufd, int op, int ioasId);

    // ---- devices and HWPTs (API 1.1) ----

    /**
     * {@code IOMMU_HWPT_ALLOC}, with the kernel's check order (see the core's HWPT commands).
     *
     * @return {@code out_hwpt_id}
     * @throws IommuException ENOENT for a bad {@code dev_id} (or {@code fault_id} with
     *     FAULT_ID_VALID), EINVAL for a bad {@code pt_id} or parent, EOPNOTSUPP for bad flags or data,
     *     the driver's errno for its vendor data, ENOSPC beyond the session's object quota
     */
    int hwptAlloc(int iommufd, HwptAlloc alloc);

    /** {@code IOMMU_GET_HW_INFO}: EOPNOTSUPP for bad flags or an input type the unit does not report. */
    HwInfoData getHwInfo(int iommufd, HwInfoQuery query);

    /** {@code IOMMU_HWPT_SET_DIRTY_TRACKING}: flags {@code IOMMU_HWPT_DIRTY_TRACKING_ENABLE} 1. */
    void hwptSetDirtyTracking(int iommufd, int hwptId, int flags);

    /**
     * {@code IOMMU_HWPT_GET_DIRTY_BITMAP}.
     *
     * @return one bit per {@code page_size} page from {@code iova}, in 64-bit words
     */
    long[] hwptGetDirtyBitmap(int iommufd, DirtyBitmapQuery query);

    /**
     * {@code IOMMU_HWPT_INVALIDATE} on a nested HWPT or a vIOMMU.
     *
     * @return {@code entry_num} written back: the entries handled
     * @throws IommuException the driver's errno, carrying the out value {@code entry_num} (the
     *     entries handled before the failure), as the ioctl writes it back also on failure
     */
    int hwptInvalidate(int iommufd, HwptInvalidate invalidate);

    /**
     * {@code IOMMU_VIOMMU_ALLOC}.
     *
     * @return {@code out_viommu_id}
     */
    int viommuAlloc(int iommufd, ViommuAlloc alloc);

    /**
     * {@code IOMMU_VDEVICE_ALLOC}: {@code virtId} is the guest's id of the device (vSID, vRID).
     *
     * @return {@code out_vdevice_id}
     */
    int vdeviceAlloc(int iommufd, int viommuId, int devId, long virtId);

    /**
     * The platform device a DEVICE object of the context stands for, by its topology name: how a
     * DMA request naming a {@code dev_id} reaches its device.
     *
     * @throws IommuException ENOENT for an id that is not a DEVICE of the context
     */
    String deviceName(int iommufd, int devId);
}
