package io.nestor.itests.support;

import java.util.List;
import java.util.Map;

/**
 * One gateway session as a remote VMM drives it over the loopback port, one method per RPC (field
 * names and units as in the protos under {@code nestor/v1}). Implemented outside OSGi by
 * {@code io.nestor.itests.outside.GrpcVmmSession} with the generated stubs; the probe reaches it
 * through {@link Outside#session}, so every parameter and result is a {@code java.*} type.
 *
 * <p>Every method throws {@link RpcFailure} when the call ends with an error status. A DMA fault is
 * a result of {@link #translate}, not an error.
 */
public interface VmmSession extends AutoCloseable {

    /** IOMMU_IOAS_MAP_FIXED_IOVA | _WRITEABLE | _READABLE. */
    int MAP_FIXED_RW = 1 | 2 | 4;
    /** IOMMU_PGFAULT_PERM_READ, _WRITE. */
    int PERM_READ = 1;
    int PERM_WRITE = 2;
    /** No PASID on a DMA request. */
    int NO_PASID = -1;

    /** The "nestor-session" value. */
    String id();

    /** The lease the server granted, in milliseconds. */
    long leaseMillis();

    /** Sessions.KeepAlive: milliseconds until the renewed lease runs out. */
    long keepAlive();

    /** Sessions.Close. */
    void closeSession();

    /**
     * Sessions.Close unless the session is already gone: for the end of a test, so that no session
     * is left for the framework's shutdown to release.
     */
    default void closeSessionQuietly() {
        try {
            closeSession();
        } catch (RpcFailure e) {
            // closed by the test, or expired
        }
    }

    // ---- Memory -------------------------------------------------------------------------------

    /** Memory.CreateRegion (anonymous): {region_id, user_va, host_physical_base}. */
    long[] createRegion(long size);

    /** Memory.ListRegions: one {region_id, size, user_va, host_physical_base, pins} per region. */
    List<long[]> listRegions();

    byte[] read(long userVa, int length);

    void write(long userVa, byte[] data);

    void destroyRegion(int regionId);

    // ---- Iommufd ------------------------------------------------------------------------------

    /** Iommufd.Open: the context's number (the "fd"). */
    int iommufdOpen();

    void iommufdClose(int iommufd);

    /** IOMMU_DESTROY. */
    void destroy(int iommufd, int id);

    int ioasAlloc(int iommufd);

    /** IOMMU_IOAS_MAP: the IOVA mapped. */
    long ioasMap(int iommufd, int flags, int ioasId, long userVa, long length, long iova);

    /** IOMMU_IOAS_UNMAP: bytes unmapped. */
    long ioasUnmap(int iommufd, int ioasId, long iova, long length);

    /** IOMMU_HWPT_ALLOC: out_hwpt_id. {@code data} may be empty for data_type NONE. */
    int hwptAlloc(int iommufd, int flags, int devId, int ptId, int dataType, byte[] data);

    /** IOMMU_HWPT_INVALIDATE: entry_num handled. */
    int hwptInvalidate(int iommufd, int hwptId, int dataType, int entryLen, int entryNum, byte[] data);

    /** IOMMU_GET_HW_INFO: "out_data_type", "out_max_pasid_log2", "out_capabilities" (longs), "data" (byte[]). */
    Map<String, Object> getHwInfo(int iommufd, int devId, int dataLen);

    /** IOMMU_VIOMMU_ALLOC: out_viommu_id. */
    int viommuAlloc(int iommufd, int type, int devId, int hwptId);

    /** IOMMU_VDEVICE_ALLOC: out_vdevice_id. */
    int vdeviceAlloc(int iommufd, int viommuId, int devId, long virtId);

    /** IOMMU_VEVENTQ_ALLOC: out_veventq_id; its vEVENTs arrive on the event stream. */
    int veventqAlloc(int iommufd, int viommuId, int type, int depth);

    // ---- VfioDevice ---------------------------------------------------------------------------

    /** VFIO_DEVICE_BIND_IOMMUFD: out_devid. */
    int bindIommufd(String device, int iommufd);

    /** close() of the device cdev. */
    void unbind(String device);

    /** VFIO_DEVICE_ATTACH_IOMMUFD_PT: the HWPT attached. */
    int attach(String device, int ptId);

    /** VFIO_DEVICE_ATTACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID: the HWPT attached. */
    int pasidAttach(String device, int pasid, int ptId);

    /** ListDevices: device name to {bound, bound_by_caller} as "bound,mine" booleans. */
    Map<String, boolean[]> listDevices();

    byte[] readConfig(String device, int offset, int count);

    // ---- Dma ----------------------------------------------------------------------------------

    /**
     * Dma.Translate of one request per IOVA, from device object {@code devId} of context
     * {@code iommufd}, with {@code pasid} or {@link #NO_PASID}: for each, a map with
     * "output_address", "page_size", "perm" (longs) or with "stage", "reason" (strings), "level",
     * "fault_address" (longs), "record" (byte[]).
     */
    List<Map<String, Object>> translate(int iommufd, int devId, int pasid, long[] iovas, int perm);

    /** The same, only the output addresses, -1 for a fault: the cheap form for load. */
    long[] translateOutputs(int iommufd, int devId, int pasid, long[] iovas, int perm);

    /** Dma.Translate naming the device instead of a dev_id: the output addresses, -1 for a fault. */
    long[] translateByName(String device, int pasid, long[] iovas, int perm);

    byte[] dmaRead(int iommufd, int devId, int pasid, long iova, int length);

    void dmaWrite(int iommufd, int devId, int pasid, long iova, byte[] data);

    // ---- Events -------------------------------------------------------------------------------

    /** Opens Events.Subscribe; events queue until taken with {@link #nextEvent}. */
    void subscribe();

    /**
     * The next event of the subscription within {@code timeoutMillis}, or null: a map with "kind"
     * ("device_fault", "page_fault", "vevent", "unit_state", or "end" with "status" when the stream
     * ended), "sequence", and the kind's fields by their proto names (device_fault: unit, device,
     * dev_id, pasid_valid, pasid, iova, perm, stage, reason, level, fault_address, record;
     * vevent: iommufd, veventq_id, vevent; unit_state: unit, state).
     */
    Map<String, Object> nextEvent(long timeoutMillis) throws InterruptedException;

    /** Closes the channel (not the session). */
    @Override
    void close();
}
