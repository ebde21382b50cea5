package io.nestor.driver.vtd.host;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct iommu_cache_invalidate_info} of the vSVA series (include/uapi/linux/iommu.h, v5.10;
 * Nestor {@code kernel-uapi.md} 2.4 e), little-endian:
 * <pre>
 *   0  u32 argsz
 *   4  u32 version        IOMMU_CACHE_INVALIDATE_INFO_VERSION_1 = 1
 *   8  u8  cache          IOTLB (bit 0), DEV_IOTLB (bit 1), PASID (bit 2)
 *   9  u8  granularity    DOMAIN 0, PASID 1, ADDR 2
 *  10  u8  padding[6]
 *  16  union granu:
 *        pasid_info { u32 flags (PASID 1<<0, ARCHID 1<<1); u32 archid; u64 pasid; }            ends at 32
 *        addr_info  { u32 flags (PASID, ARCHID, LEAF 1<<2); u32 archid; u64 pasid; u64 addr;
 *                     u64 granule_size; u64 nb_granules; }                                       ends at 56
 * </pre>
 *
 * <p>{@link #parse} performs the IOMMU core's part ({@code iommu_uapi_cache_invalidate} and
 * {@code iommu_check_cache_invl_data}): argsz below 16, or below the end of the granularity's union
 * member, EINVAL; fewer bytes than that, EFAULT; version other than 1, cache bits beyond the three
 * types, granularity beyond ADDR, EINVAL; ADDR with the PASID cache, or addr flags beyond the three,
 * EINVAL; PASID with pasid flags beyond the two, EINVAL; DOMAIN with DEV_IOTLB, EINVAL; non-zero
 * padding, EINVAL. That leaves the combinations of the header's table: DOMAIN (IOTLB, PASID cache),
 * PASID (all three), ADDR (IOTLB, DEV_IOTLB).
 */
public record IommuCacheInvalidateInfo(int argsz, int version, int cache, int granularity, int flags, int archid,
        long pasid, long addr, long granuleSize, long nbGranules) {

    public static final int VERSION_1 = 1;
    public static final int CACHE_IOTLB = 1;
    public static final int CACHE_DEV_IOTLB = 1 << 1;
    public static final int CACHE_PASID = 1 << 2;
    public static final int CACHE_ALL = CACHE_IOTLB | CACHE_DEV_IOTLB | CACHE_PASID;
    public static final int GRANU_DOMAIN = 0;
    public static final int GRANU_PASID = 1;
    public static final int GRANU_ADDR = 2;
    public static final int FLAG_PASID = 1;
    public static final int FLAG_ARCHID = 1 << 1;
    public static final int FLAG_LEAF = 1 << 2;

    public static final int UNION_OFFSET = 16;
    public static final int PASID_INFO_END = 32;
    public static final int SIZE = 56;

    public static IommuCacheInvalidateInfo parse(byte[] data) {
        if (data == null || data.length < UNION_OFFSET) {
            throw IommuException.of(Errno.EFAULT,
                    "cache_invalidate_info of %d bytes is shorter than its %d-byte header",
                    data == null ? 0 : data.length, UNION_OFFSET);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long argsz = Integer.toUnsignedLong(b.getInt(0));
        if (argsz < UNION_OFFSET) {
            throw IommuException.of(Errno.EINVAL, "cache_invalidate_info argsz %d below %d", argsz, UNION_OFFSET);
        }
        int granularity = Byte.toUnsignedInt(b.get(9));
        int min = granularity == GRANU_PASID ? PASID_INFO_END : granularity == GRANU_ADDR ? SIZE : UNION_OFFSET;
        if (argsz < min) {
            throw IommuException.of(Errno.EINVAL, "cache_invalidate_info argsz %d below %d for granularity %d", argsz,
                    min, granularity);
        }
        int copied = (int) Math.min(argsz, SIZE);
        if (data.length < copied) {
            throw IommuException.of(Errno.EFAULT, "cache_invalidate_info argsz %d but only %d bytes", argsz,
                    data.length);
        }
        byte[] full = new byte[SIZE];
        System.arraycopy(data, 0, full, 0, copied);
        ByteBuffer f = ByteBuffer.wrap(full).order(ByteOrder.LITTLE_ENDIAN);
        IommuCacheInvalidateInfo info = new IommuCacheInvalidateInfo((int) argsz, f.getInt(4),
                Byte.toUnsignedInt(f.get(8)), granularity, f.getInt(16), f.getInt(20), f.getLong(24), f.getLong(32),
                f.getLong(40), f.getLong(48));
        info.check(f);
        return info;
    }

    private void check(ByteBuffer f) {
        if (version != VERSION_1) {
            throw IommuException.of(Errno.EINVAL, "cache_invalidate_info version %d, only %d", version, VERSION_1);
        }
        if ((cache & ~CACHE_ALL) != 0) {
            throw IommuException.of(Errno.EINVAL, "cache_invalidate_info cache 0x%x names unknown types", cache);
        }
        switch (granularity) {
            case GRANU_ADDR:
                if ((cache & CACHE_PASID) != 0) {
                    throw IommuException.of(Errno.EINVAL,
                            "cache_invalidate_info cache 0x%x: address granularity does not apply to the PASID cache",
                            cache);
                }
                if ((flags & ~(FLAG_PASID | FLAG_ARCHID | FLAG_LEAF)) != 0) {
                    throw IommuException.of(Errno.EINVAL, "addr_info flags 0x%x name unknown bits", flags);
                }
                break;
            case GRANU_PASID:
                if ((flags & ~(FLAG_PASID | FLAG_ARCHID)) != 0) {
                    throw IommuException.of(Errno.EINVAL, "pasid_info flags 0x%x name unknown bits", flags);
                }
                break;
            case GRANU_DOMAIN:
                if ((cache & CACHE_DEV_IOTLB) != 0) {
                    throw IommuException.of(Errno.EINVAL,
                            "cache_invalidate_info cache 0x%x: domain granularity does not apply to the device IOTLB",
                            cache);
                }
                break;
            default:
                throw IommuException.of(Errno.EINVAL, "cache_invalidate_info granularity %d unknown", granularity);
        }
        for (int i = 10; i < UNION_OFFSET; i++) {
            if (f.get(i) != 0) {
                throw IommuException.of(Errno.EINVAL, "cache_invalidate_info padding byte %d is 0x%x", i - 10,
                        f.get(i) & 0xFF);
            }
        }
    }

    /** The PASID the request names, or 0 when its PASID flag is clear (as the 5.10 driver reads it). */
    public int pasidOrZero() {
        return granularity != GRANU_DOMAIN && (flags & FLAG_PASID) != 0 ? (int) pasid : 0;
    }

    public boolean leaf() {
        return granularity == GRANU_ADDR && (flags & FLAG_LEAF) != 0;
    }
}
