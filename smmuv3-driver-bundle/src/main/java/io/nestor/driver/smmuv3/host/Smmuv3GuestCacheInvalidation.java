package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code VFIO_IOMMU_CACHE_INVALIDATE} of the nested-stage series (never merged; kernel-uapi.md §2.4
 * e, g; Eric Auger's {@code arm_smmu_cache_invalidate}): a guest's invalidation of the caches of the
 * stage-1 configuration it owns under a nest parent, as {@code struct iommu_cache_invalidate_info}
 * (uapi/linux/iommu.h of 5.10, with argsz), little-endian:
 * <pre>
 *   0 u32 argsz   4 u32 version (1)   8 u8 cache   9 u8 granularity   10 u8 padding[6]
 *  16 union: iommu_inv_pasid_info { u32 flags; u32 archid; u64 pasid; }                       (16 bytes)
 *            iommu_inv_addr_info  { u32 flags; u32 archid; u64 pasid; u64 addr; u64 granule_size;
 *                                   u64 nb_granules; }                                           (40 bytes)
 * </pre>
 * cache: IOTLB (1), DEV_IOTLB (2), PASID (4); granularity: DOMAIN 0, PASID 1, ADDR 2. Valid pairs
 * (every cache named must support the granularity): DOMAIN with IOTLB and PASID; PASID with all
 * three; ADDR with IOTLB and DEV_IOTLB. PASID granularity needs the PASID or ARCHID flag; the ASID
 * is the SMMU's architecture id (ARCHID).
 *
 * <p>Commands, all carrying the parent's VMID, issued in one batch with a CMD_SYNC after every check
 * passed:
 * <ul>
 * <li>IOTLB: DOMAIN → TLBI_NH_ALL; PASID → TLBI_NH_ASID with ARCHID, else TLBI_NH_ALL (the host
 *     cannot tell which ASID the guest's CD for a PASID holds without reading it, and invalidating
 *     more is allowed); ADDR → one TLBI_NH_VA (ARCHID) or NH_VAA per granule, Leaf from the LEAF flag,
 *     and above {@value #MAX_PER_GRANULE} granules the whole ASID (or all ASIDs) instead, as Linux
 *     falls back to a full flush for long ranges;</li>
 * <li>DEV_IOTLB (only when the device has ATS): CMD_ATC_INV over the smallest aligned power-of-two
 *     span that covers the range (Linux {@code arm_smmu_atc_inv_to_cmd}), the whole space for PASID
 *     granularity, with the PASID as SubstreamID when flagged;</li>
 * <li>PASID cache: DOMAIN → CFGI_CD_ALL; PASID → CFGI_CD of that SubstreamID (Leaf), or
 *     CFGI_CD_ALL without the PASID flag.</li>
 * </ul>
 * Errors are EINVAL naming the value: argsz below 16 or shorter than the union member needed,
 * version, an unknown cache bit or no cache, an unknown granularity, an invalid pair, missing flags,
 * unknown flag bits, a granule size other than 4 / 16 / 64 KiB, zero granules, a range that wraps,
 * a PASID beyond 20 bits or an ARCHID beyond 16 bits.
 */
final class Smmuv3GuestCacheInvalidation {

    static final int CACHE_IOTLB = 1;
    static final int CACHE_DEV_IOTLB = 1 << 1;
    static final int CACHE_PASID = 1 << 2;
    static final int GRANU_DOMAIN = 0;
    static final int GRANU_PASID = 1;
    static final int GRANU_ADDR = 2;
    static final int FLAG_PASID = 1;
    static final int FLAG_ARCHID = 1 << 1;
    static final int FLAG_LEAF = 1 << 2;
    static final int MAX_PER_GRANULE = 64;
    private static final int HEADER = 16;
    private static final int PASID_INFO_END = HEADER + 16;
    private static final int ADDR_INFO_END = HEADER + 40;

    static void invalidate(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] info) {
        Smmuv3NestedDomains.checkNestParent(unit, parent);
        if (info == null || info.length < HEADER) {
            throw IommuException.of(Errno.EINVAL, "iommu_cache_invalidate_info of %d bytes is shorter than %d",
                    info == null ? 0 : info.length, HEADER);
        }
        ByteBuffer b = ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN);
        long argsz = Integer.toUnsignedLong(b.getInt(0));
        if (argsz < HEADER || argsz > info.length) {
            throw IommuException.of(Errno.EINVAL, "argsz %d: need %d..%d", argsz, HEADER, info.length);
        }
        int version = b.getInt(4);
        if (version != 1) {
            throw IommuException.of(Errno.EINVAL, "iommu_cache_invalidate_info version %d is not 1", version);
        }
        int cache = Byte.toUnsignedInt(b.get(8));
        int granularity = Byte.toUnsignedInt(b.get(9));
        if (cache == 0 || (cache & ~(CACHE_IOTLB | CACHE_DEV_IOTLB | CACHE_PASID)) != 0) {
            throw IommuException.of(Errno.EINVAL, "cache types 0x%x: need some of IOTLB, DEV_IOTLB, PASID", cache);
        }
        if (granularity > GRANU_ADDR) {
            throw IommuException.of(Errno.EINVAL, "granularity %d is not DOMAIN, PASID or ADDR", granularity);
        }
        if ((granularity == GRANU_DOMAIN && (cache & CACHE_DEV_IOTLB) != 0)
                || (granularity == GRANU_ADDR && (cache & CACHE_PASID) != 0)) {
            throw IommuException.of(Errno.EINVAL, "cache types 0x%x do not all support granularity %d", cache,
                    granularity);
        }
        int vmid = parent.tag();
        int sid = device.sourceId();
        boolean ats = Smmuv3DeviceAttach.atsSupported(unit, device);
        List<Smmuv3Command> commands = new ArrayList<>();
        switch (granularity) {
            case GRANU_DOMAIN:
                if ((cache & CACHE_IOTLB) != 0) {
                    commands.add(Smmuv3CommandBuilder.tlbiNhAll(vmid));
                }
                if ((cache & CACHE_PASID) != 0) {
                    commands.add(Smmuv3CommandBuilder.cfgiCdAll(sid));
                }
                break;
            case GRANU_PASID: {
                requireArgsz(argsz, PASID_INFO_END, "pasid_info");
                int flags = b.getInt(HEADER);
                checkFlags(flags, FLAG_PASID | FLAG_ARCHID, "pasid_info");
                if ((flags & (FLAG_PASID | FLAG_ARCHID)) == 0) {
                    throw IommuException.of(Errno.EINVAL, "pasid_info flags 0x%x name neither PASID nor ARCHID", flags);
                }
                int asid = (flags & FLAG_ARCHID) != 0 ? archid(b.getInt(HEADER + 4)) : -1;
                int pasid = (flags & FLAG_PASID) != 0 ? pasid(b.getLong(HEADER + 8)) : -1;
                if ((cache & CACHE_IOTLB) != 0) {
                    commands.add(asid >= 0 ? Smmuv3CommandBuilder.tlbiNhAsid(vmid, asid) : Smmuv3CommandBuilder.tlbiNhAll(vmid));
                }
                if ((cache & CACHE_DEV_IOTLB) != 0 && ats) {
                    commands.add(Smmuv3CommandBuilder.atcInv(sid, pasid, 0, Smmuv3CommandBuilder.ATC_INV_SIZE_ALL));
                }
                if ((cache & CACHE_PASID) != 0) {
                    commands.add(pasid >= 0 ? Smmuv3CommandBuilder.cfgiCd(sid, pasid, true) : Smmuv3CommandBuilder.cfgiCdAll(sid));
                }
                break;
            }
            default: {
                requireArgsz(argsz, ADDR_INFO_END, "addr_info");
                int flags = b.getInt(HEADER);
                checkFlags(flags, FLAG_PASID | FLAG_ARCHID | FLAG_LEAF, "addr_info");
                int asid = (flags & FLAG_ARCHID) != 0 ? archid(b.getInt(HEADER + 4)) : -1;
                int pasid = (flags & FLAG_PASID) != 0 ? pasid(b.getLong(HEADER + 8)) : -1;
                long addr = b.getLong(HEADER + 16);
                long granule = b.getLong(HEADER + 24);
                long count = b.getLong(HEADER + 32);
                if (granule != 1L << 12 && granule != 1L << 14 && granule != 1L << 16) {
                    throw IommuException.of(Errno.EINVAL, "granule_size 0x%x is not 4, 16 or 64 KiB", granule);
                }
                long size = count * granule;
                if (count <= 0 || count > Long.MAX_VALUE / granule || Long.compareUnsigned(addr + size - 1, addr) < 0) {
                    throw IommuException.of(Errno.EINVAL, "%d granules of 0x%x at 0x%x is not a valid range", count,
                            granule, addr);
                }
                boolean leaf = (flags & FLAG_LEAF) != 0;
                if ((cache & CACHE_IOTLB) != 0) {
                    if (count > MAX_PER_GRANULE) {
                        commands.add(asid >= 0 ? Smmuv3CommandBuilder.tlbiNhAsid(vmid, asid) : Smmuv3CommandBuilder.tlbiNhAll(vmid));
                    } else {
                        long base = addr & -granule;
                        for (long i = 0; i < count; i++) {
                            commands.add(Smmuv3CommandBuilder.tlbiNhVa(vmid, asid, base + i * granule, leaf));
                        }
                    }
                }
                if ((cache & CACHE_DEV_IOTLB) != 0 && ats) {
                    commands.add(atcRange(sid, pasid, addr, size));
                }
                break;
            }
        }
        Smmuv3DeviceReset.ensureUp(unit);
        Smmuv3CommandSubmission.issueWithSync(unit, commands);
    }

    /**
     * CMD_ATC_INV covering {@code [addr, addr + size)} with one naturally aligned power-of-two span
     * of 4 KiB pages (Linux {@code arm_smmu_atc_inv_to_cmd}).
     */
    static Smmuv3Command atcRange(int sid, int ssid, long addr, long size) {
        long first = addr >>> 12;
        long last = (addr + size - 1) >>> 12;
        int log2Span = 64 - Long.numberOfLeadingZeros(first ^ last);
        if (log2Span >= Smmuv3CommandBuilder.ATC_INV_SIZE_ALL) {
            return Smmuv3CommandBuilder.atcInv(sid, ssid, 0, Smmuv3CommandBuilder.ATC_INV_SIZE_ALL);
        }
        long alignedFirst = first & ~((1L << log2Span) - 1);
        return Smmuv3CommandBuilder.atcInv(sid, ssid, alignedFirst << 12, log2Span);
    }

    private static void requireArgsz(long argsz, int end, String member) {
        if (argsz < end) {
            throw IommuException.of(Errno.EINVAL, "argsz %d does not cover %s (needs %d)", argsz, member, end);
        }
    }

    private static void checkFlags(int flags, int allowed, String member) {
        if ((flags & ~allowed) != 0) {
            throw IommuException.of(Errno.EINVAL, "%s flags 0x%x has unknown bits 0x%x", member, flags, flags & ~allowed);
        }
    }

    private static int archid(int archid) {
        if (archid < 0 || archid > 0xFFFF) {
            throw IommuException.of(Errno.EINVAL, "archid (ASID) 0x%x is wider than 16 bits", archid);
        }
        return archid;
    }

    private static int pasid(long pasid) {
        if (pasid < 0 || pasid >= 1 << 20) {
            throw IommuException.of(Errno.EINVAL, "PASID 0x%x is wider than 20 bits", pasid);
        }
        return (int) pasid;
    }

    private Smmuv3GuestCacheInvalidation() {
    }
}
