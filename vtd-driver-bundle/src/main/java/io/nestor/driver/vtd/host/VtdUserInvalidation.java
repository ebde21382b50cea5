package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code IOMMU_HWPT_INVALIDATE} on a VT-d nested domain, as Linux
 * {@code intel_nested_cache_invalidate_user()} (drivers/iommu/intel/nested.c) handles it.
 *
 * <p>Checks: the domain must be nested (EINVAL); the data type must be
 * {@code IOMMU_HWPT_INVALIDATE_DATA_VTD_S1} (EINVAL, nothing processed). Then, entry by entry, in
 * order, stopping at the first bad one: an {@code entry_len} other than 24 (the struct's size, both
 * the minimum and the maximum {@code iommu_copy_struct_from_user_array} accepts), EINVAL; flags
 * other than LEAF or a non-zero {@code __reserved}, EOPNOTSUPP; an address not 4 KiB aligned, or
 * {@code npages = U64_MAX} with a non-zero address, EINVAL. Beyond Linux, which computes a wrapped
 * range there: {@code npages = 0} and a range running past 2^64 are EINVAL too. A failure carries
 * {@code entry_num} = entries handled before it.
 *
 * <p>Each good entry becomes, for every (device, PASID) the nested domain is attached to (found in
 * the tables, {@link VtdAttachmentScan}), a PASID-based IOTLB invalidation (type 6) with the
 * nested domain's DID: page-selective over the {@link VtdPsiRange} block with IH = LEAF, or all of
 * the PASID when the entry says "everything" or the block exceeds CAP.MAMV (over-invalidation is
 * legal, a mask the hardware cannot take is not); and, when the device TLB is enabled, a device-TLB
 * invalidation of the same block (type 3 for RID_PASID, type 8 for a PASID), as Linux 6.8–6.15 flush
 * a nested domain (first-level style, {@code use_first_level}) and its ATS devices.
 */
public final class VtdUserInvalidation {

    public static int invalidate(UnitContext unit, DomainDescriptor domain, int dataType, int entryLen,
            byte[] entries) {
        // the attachments found must not change before their invalidations are queued
        return VtdStructureLock.with(unit, () -> invalidateLocked(unit, domain, dataType, entryLen, entries));
    }

    private static int invalidateLocked(UnitContext unit, DomainDescriptor domain, int dataType, int entryLen,
            byte[] entries) {
        if (!domain.nested()) {
            throw IommuException.of(Errno.EINVAL,
                    "%s: domain DID %d is not nested; user invalidation needs a nested domain",
                    unit.name(), domain.tag()).withOutValue("entry_num", 0);
        }
        if (dataType != IommuHwptVtdS1Invalidate.DATA_TYPE) {
            throw IommuException.of(Errno.EINVAL,
                    "%s: invalidation data type %d, only IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 (%d)",
                    unit.name(), dataType, IommuHwptVtdS1Invalidate.DATA_TYPE).withOutValue("entry_num", 0);
        }
        // entry_len is a u32: a negative int here is one beyond any array and can divide nothing
        if (entries.length != 0 && (entryLen <= 0 || entries.length % entryLen != 0)) {
            throw IommuException.of(Errno.EINVAL,
                    "%s: %d bytes of entries is not a multiple of entry_len %d", unit.name(),
                    entries.length, Integer.toUnsignedLong(entryLen)).withOutValue("entry_num", 0);
        }
        int count = entries.length == 0 ? 0 : entries.length / entryLen;
        VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
        List<VtdAttachmentScan.Attachment> attachments = count == 0 ? List.of()
                : VtdAttachmentScan.find(unit, domain.tag());
        int processed = 0;
        try {
            for (int i = 0; i < count; i++) {
                IommuHwptVtdS1Invalidate entry = parse(unit, entries, i, entryLen);
                flush(unit, caps, domain.tag(), attachments, entry);
                processed++;
            }
        } catch (IommuException e) {
            throw e.withOutValue("entry_num", processed);
        }
        return processed;
    }

    private static IommuHwptVtdS1Invalidate parse(UnitContext unit, byte[] entries, int index, int entryLen) {
        if (entryLen != IommuHwptVtdS1Invalidate.SIZE) {
            throw IommuException.of(Errno.EINVAL, "%s: entry_len %d, iommu_hwpt_vtd_s1_invalidate is %d bytes",
                    unit.name(), entryLen, IommuHwptVtdS1Invalidate.SIZE);
        }
        IommuHwptVtdS1Invalidate e = IommuHwptVtdS1Invalidate.at(entries, index * entryLen);
        if ((e.flags() & ~IommuHwptVtdS1Invalidate.FLAG_LEAF) != 0 || e.reserved() != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: entry %d flags 0x%x / __reserved 0x%x", unit.name(), index,
                    e.flags(), e.reserved());
        }
        if ((e.addr() & 0xFFF) != 0 || (e.npages() == -1L && e.addr() != 0)) {
            throw IommuException.of(Errno.EINVAL,
                    "%s: entry %d addr 0x%x npages 0x%x: unaligned, or U64_MAX pages from a non-zero address",
                    unit.name(), index, e.addr(), e.npages());
        }
        if (e.npages() == 0) {
            throw IommuException.of(Errno.EINVAL, "%s: entry %d has npages 0", unit.name(), index);
        }
        if (e.npages() != -1L && (Long.compareUnsigned(e.npages(), 1L << 52) > 0
                || Long.compareUnsigned(e.addr() + (e.npages() << 12) - 1, e.addr()) < 0)) {
            throw IommuException.of(Errno.EINVAL,
                    "%s: entry %d range 0x%x + 0x%x pages runs past 2^64", unit.name(), index,
                    e.addr(), e.npages());
        }
        return e;
    }

    private static void flush(UnitContext unit, VtdUnitCapabilities caps, int did,
            List<VtdAttachmentScan.Attachment> attachments, IommuHwptVtdS1Invalidate entry) {
        if (attachments.isEmpty()) {
            return;
        }
        VtdPsiRange range = entry.npages() == -1L ? new VtdPsiRange(0, VtdPsiRange.MAX_AGAW_PFN_WIDTH)
                : VtdPsiRange.covering(entry.addr(), entry.addr() + (entry.npages() << 12) - 1);
        List<VtdQiDescriptor> descriptors = new ArrayList<>();
        for (VtdAttachmentScan.Attachment a : attachments) {
            if (range.everything() || range.mask() > caps.maxAddressMask()) {
                descriptors.add(VtdQiDescriptor.piotlbPasid(did, a.pasid()));
            } else {
                descriptors.add(VtdQiDescriptor.piotlbPages(did, a.pasid(), range.address(), range.mask(),
                        entry.leaf()));
            }
            if (a.deviceTlb()) {
                descriptors.add(deviceTlb(a, range));
            }
        }
        VtdQueuedInvalidation.submitSync(unit, descriptors);
    }

    static VtdQiDescriptor deviceTlb(VtdAttachmentScan.Attachment a, VtdPsiRange range) {
        return a.pasid() == VtdDeviceTables.RID_PASID
                ? VtdQiDescriptor.deviceTlb(a.sourceId(), range.address(), range.mask())
                : VtdQiDescriptor.pasidDeviceTlb(a.sourceId(), a.pasid(), range.address(), range.mask());
    }

    private VtdUserInvalidation() {
    }
}
