package io.nestor.api.dma;

import io.nestor.api.error.IommuException;
import io.nestor.api.translation.PageResponseCode;
import java.util.List;

/**
 * DMA issued by devices of the platform on one session's behalf: only devices the session owns
 * (bound to one of its iommufd contexts, or held by one of its VFIO containers) issue DMA through
 * it. Devices are named by their
 * topology name (for example {@code "0000:00:02.0"}); a request carries a PASID or
 * {@link DmaRequest#NO_PASID}. Access bits are {@link io.nestor.api.translation.Access}'s, which
 * equal {@code IOMMU_PGFAULT_PERM_*}.
 *
 * <p>A fault is the hardware's answer, not a failure of the call: it is recorded by the unit and
 * delivered to the session's event subscribers too.
 */
public interface Dma {

    /**
     * Translates a batch of requests, in order.
     *
     * @return one result per request
     * @throws IommuException ENOENT for an unknown device or one the session does not own (only the
     *     session that owns a device may issue its DMA), EINVAL for a bad PASID or access; the
     *     whole batch is checked before any request is translated
     */
    List<DmaResult> translate(List<DmaRequest> requests);

    /**
     * Reads {@code length} bytes at {@code iova} of the device's address space.
     *
     * @throws IommuException ENOENT as {@link #translate}, EINVAL for a bad PASID or a negative
     *     length
     * @throws DmaFaultException at the first faulting page (nothing is returned)
     */
    byte[] read(String device, int pasid, long iova, int length);

    /**
     * Writes {@code data} at {@code iova} of the device's address space, page by page.
     *
     * @throws IommuException ENOENT as {@link #translate}, EINVAL for a bad PASID
     * @throws DmaFaultException at the first faulting page; the pages before it are written, as a
     *     device's DMA is
     */
    void write(String device, int pasid, long iova, byte[] data);

    /**
     * A PCIe page request (PRI) from the device, and the wait for its page group response.
     *
     * @param access the {@link io.nestor.api.translation.Access} bits requested
     * @param groupIndex the page request group index, 0..511
     * @throws IommuException ENOENT as {@link #translate}; EINVAL for a bad PASID, access or group
     *     index, an address that is not 4 KiB aligned or a timeout that is not positive; EOPNOTSUPP
     *     for a device without PRI; ETIMEDOUT when no response came within {@code timeoutMillis}
     */
    PageResponseCode pageRequest(String device, int pasid, long address, int access, int groupIndex,
            boolean lastPage, long timeoutMillis);
}
