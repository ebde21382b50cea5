package io.nestor.api.vfio;

import io.nestor.api.error.IommuException;
import java.util.List;

/**
 * The VFIO device cdev operations of one session. Devices are named by their topology name, which
 * stands for the opened device file. Every operation but {@link #list()} and
 * {@link #bindIommufd} needs the device bound by this session: a device bound by another session
 * answers {@code ENOENT} (as if this session had no such device), an unbound one {@code EINVAL}, as
 * the kernel answers an ioctl on a cdev not yet bound. Binding a device another session holds
 * answers {@code EBUSY}, the kernel's DMA-owner claim.
 */
public interface VfioDevices {
    /** {@code VFIO_DEVICE_ATTACH_PASID} / {@code VFIO_DEVICE_DETACH_PASID}. */
    int FLAG_PASID = 1;

    /** The platform's devices with their group and who holds them. */
    List<VfioDeviceEntry> list();

    /**
     * {@code VFIO_DEVICE_BIND_IOMMUFD}.
     *
     * @return {@code out_devid}, the DEVICE object's id in the context
     * @throws IommuException ENOENT for an unknown device; EBUSY when another session, or another
     *     context of this session, holds it; EINVAL for flags or when this context already holds it;
     *     EBADF for a bad iommufd; ENOSPC beyond the object quota
     */
    int bindIommufd(String device, int flags, int iommufd);

    /** close() of the device cdev: detaches every PASID, then the RID, and unbinds. */
    void unbind(String device);

    /**
     * {@code VFIO_DEVICE_ATTACH_IOMMUFD_PT}; attaching again replaces, as VFIO does.
     *
     * @param flags {@link #FLAG_PASID} to attach {@code pasid}, else the RID
     * @return the HWPT attached (an automatic one when {@code ptId} names an IOAS)
     */
    int attachIommufdPt(String device, int flags, int ptId, int pasid);

    /** {@code VFIO_DEVICE_DETACH_IOMMUFD_PT}; flags {@link #FLAG_PASID} to detach {@code pasid}. */
    void detachIommufdPt(String device, int flags, int pasid);

    /** A read of the config-space region. */
    byte[] readConfig(String device, int offset, int count);

    /**
     * A write of the config-space region.
     *
     * @return bytes written
     */
    int writeConfig(String device, int offset, byte[] data);
}
