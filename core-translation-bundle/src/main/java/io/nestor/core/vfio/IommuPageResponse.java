package io.nestor.core.vfio;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct iommu_page_response} (include/uapi/linux/iommu.h, 5.10; kernel-uapi.md 2.4 h), 24
 * bytes little-endian: {@code u32 argsz; u32 version (1); u32 flags (PASID_VALID 1<<0); u32 pasid;
 * u32 grpid; u32 code (SUCCESS 0, INVALID 1, FAILURE 2)}.
 *
 * <p>Checks, as {@code iommu_page_response} made them: argsz below 24, EINVAL; fewer bytes than that,
 * EFAULT (the copy from user memory would fault); version other than 1, a flag other than
 * PASID_VALID, or an unknown code, EINVAL.
 */
public final class IommuPageResponse {
    public static final int SIZE = 24;
    public static final int VERSION_1 = 1;
    public static final int FLAG_PASID_VALID = 1;

    /**
     * The response for a device.
     *
     * @param stall whether the device's requests are stalled transactions (an SMMUv3 stall master,
     *     answered with CMD_RESUME), not PCI page requests
     */
    public static PageResponse parse(byte[] data, boolean stall) {
        if (data == null || data.length < 4) {
            throw IommuException.of(Errno.EFAULT, "iommu_page_response of %d bytes has no argsz",
                    data == null ? 0 : data.length);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long argsz = Integer.toUnsignedLong(b.getInt(0));
        if (argsz < SIZE) {
            throw IommuException.of(Errno.EINVAL, "iommu_page_response argsz %d below %d", argsz, SIZE);
        }
        if (data.length < SIZE) {
            throw IommuException.of(Errno.EFAULT, "iommu_page_response argsz %d but only %d bytes", argsz,
                    data.length);
        }
        int version = b.getInt(4);
        int flags = b.getInt(8);
        int pasid = b.getInt(12);
        int grpid = b.getInt(16);
        int code = b.getInt(20);
        if (version != VERSION_1) {
            throw IommuException.of(Errno.EINVAL, "iommu_page_response version %d, only %d", version, VERSION_1);
        }
        if ((flags & ~FLAG_PASID_VALID) != 0) {
            throw IommuException.of(Errno.EINVAL, "iommu_page_response flags 0x%x, only PASID_VALID", flags);
        }
        PageResponseCode c;
        switch (code) {
            case 0:
                c = PageResponseCode.SUCCESS;
                break;
            case 1:
                c = PageResponseCode.INVALID;
                break;
            case 2:
                c = PageResponseCode.FAILURE;
                break;
            default:
                throw IommuException.of(Errno.EINVAL, "iommu_page_response code %d unknown",
                        Integer.toUnsignedLong(code));
        }
        return new PageResponse((flags & FLAG_PASID_VALID) != 0 ? pasid : -1, grpid, stall, c);
    }

    /** Encodes a response (for callers and tests). */
    public static byte[] encode(int flags, int pasid, int grpid, int code) {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(0, SIZE).putInt(4, VERSION_1)
                .putInt(8, flags).putInt(12, pasid).putInt(16, grpid).putInt(20, code).array();
    }

    private IommuPageResponse() {
    }
}
