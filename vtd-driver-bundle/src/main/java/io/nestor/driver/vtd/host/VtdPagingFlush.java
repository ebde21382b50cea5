package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The IOTLB flush after the core changed a second-stage paging domain's table, as Linux's
 * {@code intel_iommu_tlb_sync} / {@code cache_tag_flush_range} (drivers/iommu/intel/cache.c) do it
 * for a second-stage domain and, through {@code parent_domain_flush}, for the nested domains over
 * it.
 *
 * <p>For the domain's DID and each dependent (nested child) DID: an IOTLB invalidation (type 2),
 * page-selective over the {@link VtdPsiRange} block with IH = 0 (table pages may be freed after
 * it) when CAP.PSI is set and the block fits CAP.MAMV, else domain-selective; then, for every
 * device whose context enables its device TLB and that uses the DID (found in the tables,
 * {@link VtdAttachmentScan}), a device-TLB invalidation of the same block. All of it goes in one
 * synchronous submission.
 *
 * <p>A unit whose invalidation queue is not enabled has never been brought up, so it has never
 * translated and caches nothing: the flush is then a no-op (Linux would use register-based
 * invalidation for a unit without QI).
 */
public final class VtdPagingFlush {

    public static void flush(UnitContext unit, DomainDescriptor domain, long iova, long size, int[] dependentTags) {
        if (domain.nested()) {
            throw IommuException.of(Errno.EINVAL, "%s: DID %d is nested; only paging domains are flushed here",
                    unit.name(), domain.tag());
        }
        if (size == 0 || Long.compareUnsigned(iova + size - 1, iova) < 0) {
            throw IommuException.of(Errno.EINVAL, "%s: flush range 0x%x + 0x%x is empty or wraps", unit.name(), iova,
                    size);
        }
        if ((unit.registers().read32(VtdRegisterOffsets.GSTS) & VtdUnitBringUp.GSTS_QIES) == 0) {
            return;
        }
        VtdStructureLock.run(unit, () -> flushLocked(unit, domain, iova, size, dependentTags));
    }

    private static void flushLocked(UnitContext unit, DomainDescriptor domain, long iova, long size,
            int[] dependentTags) {
        VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
        VtdPsiRange range = VtdPsiRange.covering(iova, iova + size - 1);
        boolean selective = caps.pageSelectiveInvalidation() && !range.everything()
                && range.mask() <= caps.maxAddressMask();
        List<VtdQiDescriptor> descriptors = new ArrayList<>();
        int[] dids = new int[dependentTags.length + 1];
        dids[0] = domain.tag();
        System.arraycopy(dependentTags, 0, dids, 1, dependentTags.length);
        List<List<VtdAttachmentScan.Attachment>> attachments = VtdAttachmentScan.findEach(unit, dids);
        for (int i = 0; i < dids.length; i++) {
            int did = dids[i];
            descriptors.add(selective ? VtdQiDescriptor.iotlbPages(did, range.address(), range.mask(), false)
                    : VtdQiDescriptor.iotlbDomain(did));
            for (VtdAttachmentScan.Attachment a : attachments.get(i)) {
                if (a.deviceTlb()) {
                    descriptors.add(VtdUserInvalidation.deviceTlb(a, range));
                }
            }
        }
        VtdQueuedInvalidation.submitSync(unit, descriptors);
    }

    private VtdPagingFlush() {
    }
}
