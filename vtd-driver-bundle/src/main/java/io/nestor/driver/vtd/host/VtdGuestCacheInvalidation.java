package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.vtd.hw.VtdPasidEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code VFIO_IOMMU_NESTING_OP_CACHE_INVLD} of the vSVA series: turns an
 * {@link IommuCacheInvalidateInfo} for a device bound over a nest parent into queued invalidations,
 * in the manner of Linux 5.10's {@code intel_iommu_sva_invalidate()} (drivers/iommu/intel/iommu.c).
 *
 * <p>Checks after parsing: the domain must be a nest parent (EINVAL), the PASID named must fit 20
 * bits (EINVAL), the device must be known to the unit, i.e. have a context entry (EINVAL, Linux's
 * missing {@code device_domain_info}), and an address range's size ({@code granule_size * nb_granules})
 * must not overflow (EINVAL).
 *
 * <p>Mapping, DID = the parent's (the bound PASIDs are tagged with it), in cache-bit order:
 * <ul>
 *   <li>IOTLB: DOMAIN, domain-selective IOTLB (type 2); PASID, PASID-based IOTLB of the PASID
 *       (type 6, G=10); ADDR, page-selective within the PASID over 2^order_base_2(pages) pages (the
 *       address aligned down; the whole PASID when the order exceeds CAP.MAMV), IH = LEAF. With the
 *       device TLB enabled a device-TLB invalidation follows, as Linux's fall-through ("vIOMMU in the
 *       guest may assume IOTLB flush is inclusive"): everything for DOMAIN (type 3), else as for DEV_IOTLB;</li>
 *   <li>DEV_IOTLB (only with the device TLB enabled; Linux warns and skips otherwise): PASID-based
 *       device-TLB invalidation (type 8), everything for PASID granularity, the range for ADDR;</li>
 *   <li>PASID cache: DOMAIN, domain-selective (type 7, G=00); PASID, PASID-selective (G=01).</li>
 * </ul>
 * Linux 5.10 accepted fewer pairs (no DOMAIN granularity, no PASID cache from user space); Nestor
 * follows the header's validity table, which is what the uAPI promised.
 */
public final class VtdGuestCacheInvalidation {

    public static void invalidate(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] infoBytes) {
        VtdDomainAttach.checkSourceId(unit, device);
        IommuCacheInvalidateInfo info = IommuCacheInvalidateInfo.parse(infoBytes);
        if (parent.nested() || (parent.flags() & IommuHwptAllocFlags.NEST_PARENT) == 0) {
            throw IommuException.of(Errno.EINVAL,
                    "%s: domain DID %d is not a nesting parent", unit.name(), parent.tag());
        }
        if (info.granularity() != IommuCacheInvalidateInfo.GRANU_DOMAIN
                && (info.flags() & IommuCacheInvalidateInfo.FLAG_PASID) != 0
                && (info.pasid() < 0 || info.pasid() > VtdPasidEntry.MAX_PASID)) {
            throw IommuException.of(Errno.EINVAL, "%s: PASID %d outside 0..%d", unit.name(), info.pasid(),
                    VtdPasidEntry.MAX_PASID);
        }
        int order = 0;
        if (info.granularity() == IommuCacheInvalidateInfo.GRANU_ADDR) {
            long bytes;
            try {
                bytes = Math.multiplyExact(info.granuleSize(), info.nbGranules());
            } catch (ArithmeticException e) {
                bytes = -1;
            }
            if (bytes < 0) {
                throw IommuException.of(Errno.EINVAL, "%s: granule_size 0x%x x nb_granules 0x%x overflows", unit.name(),
                        info.granuleSize(), info.nbGranules());
            }
            long pages = bytes >>> 12;
            order = pages <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(pages - 1);
        }
        VtdDeviceTables.Context context = VtdUnitBringUp.rootTableLatched(unit)
                ? VtdDeviceTables.findContext(unit, VtdUnitBringUp.ensure(unit), device.sourceId()) : null;
        if (context == null) {
            throw IommuException.of(Errno.EINVAL,
                    "%s: device %s is not set up on this unit", unit.name(), device.name());
        }
        VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
        boolean ats = context.entry().deviceTlbEnable();
        int did = parent.tag();
        int pasid = info.pasidOrZero();
        int sid = device.sourceId();
        long addr = order >= 52 ? 0 : info.addr() & -(1L << (12 + order));
        int granu = info.granularity();

        List<VtdQiDescriptor> out = new ArrayList<>();
        if ((info.cache() & IommuCacheInvalidateInfo.CACHE_IOTLB) != 0) {
            if (granu == IommuCacheInvalidateInfo.GRANU_DOMAIN) {
                out.add(VtdQiDescriptor.iotlbDomain(did));
            } else if (granu == IommuCacheInvalidateInfo.GRANU_PASID || order > caps.maxAddressMask()) {
                out.add(VtdQiDescriptor.piotlbPasid(did, pasid));
            } else {
                out.add(VtdQiDescriptor.piotlbPages(did, pasid, addr, order, info.leaf()));
            }
            if (ats) {
                out.add(granu == IommuCacheInvalidateInfo.GRANU_DOMAIN
                        ? VtdQiDescriptor.deviceTlb(sid, 0, VtdQiDescriptor.DEVTLB_ALL)
                        : deviceTlb(sid, pasid, granu, addr, order));
            }
        }
        if ((info.cache() & IommuCacheInvalidateInfo.CACHE_DEV_IOTLB) != 0 && ats) {
            out.add(deviceTlb(sid, pasid, granu, addr, order));
        }
        if ((info.cache() & IommuCacheInvalidateInfo.CACHE_PASID) != 0) {
            out.add(granu == IommuCacheInvalidateInfo.GRANU_DOMAIN
                    ? VtdQiDescriptor.pasidCache(did, VtdQiDescriptor.PC_GRAN_DOMAIN, 0)
                    : VtdQiDescriptor.pasidCache(did, VtdQiDescriptor.PC_GRAN_PASID, pasid));
        }
        if (!out.isEmpty()) {
            VtdQueuedInvalidation.submitSync(unit, out);
        }
    }

    private static VtdQiDescriptor deviceTlb(int sid, int pasid, int granu, long addr, int order) {
        return granu == IommuCacheInvalidateInfo.GRANU_PASID
                ? VtdQiDescriptor.pasidDeviceTlb(sid, pasid, 0, VtdQiDescriptor.DEVTLB_ALL)
                : VtdQiDescriptor.pasidDeviceTlb(sid, pasid, addr, Math.min(order, VtdQiDescriptor.DEVTLB_ALL));
    }

    private VtdGuestCacheInvalidation() {
    }
}
