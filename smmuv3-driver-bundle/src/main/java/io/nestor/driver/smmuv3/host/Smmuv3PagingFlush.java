package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import java.util.ArrayList;
import java.util.List;

/**
 * The TLB flush after the core changed a stage-2 paging domain's table, as Linux's
 * {@code arm_smmu_tlb_inv_range_domain} does it for a stage-2 domain (arm-smmu-v3.c).
 *
 * <p>For the domain's VMID: one CMD_TLBI_S2_IPA per granule of the range with Leaf = 0 (table pages
 * may be freed after it), or, when the range holds more than {@link #MAX_TLBI_OPS} granules, one
 * CMD_TLBI_S12_VMALL (Linux's {@code CMDQ_MAX_TLBI_OPS} cut-over to a whole-context flush). A nest
 * parent is followed by CMD_TLBI_NH_ALL for its VMID, because the nested stage-1 entries cached
 * under it were walked through the changed stage 2. Each dependent tag — the VMID a vIOMMU over the
 * parent owns ({@link Smmuv3NestedDomains}) — gets the same S2_IPA / S12_VMALL and NH_ALL. One
 * CMD_SYNC ends the batch. Range invalidation (IDR3.RIL) and ATC invalidation of ATS devices are not
 * used here.
 *
 * <p>An SMMU whose command queue is not up has never translated and caches nothing: the flush is
 * then a no-op.
 */
final class Smmuv3PagingFlush {

    /** Linux {@code CMDQ_MAX_TLBI_OPS}: {@code 1 << (PAGE_SHIFT - 3)} with 4 KiB pages. */
    static final int MAX_TLBI_OPS = 512;

    static void flush(UnitContext unit, DomainDescriptor domain, long iova, long size, int[] dependentTags) {
        if (domain.nested()) {
            throw IommuException.of(Errno.EINVAL, "%s: tag %d is a nested domain; only paging domains are flushed",
                    unit.name(), domain.tag());
        }
        if (size == 0 || Long.compareUnsigned(iova + size - 1, iova) < 0) {
            throw IommuException.of(Errno.EINVAL, "%s: flush range 0x%x + 0x%x is empty or wraps", unit.name(), iova,
                    size);
        }
        if (!Smmuv3DeviceReset.isUp(unit)) {
            return;
        }
        int granuleShift = Smmuv3PagingDomains.layout(unit, domain).granule().shift();
        long first = iova >>> granuleShift;
        long last = (iova + size - 1) >>> granuleShift;
        boolean whole = Long.compareUnsigned(last - first, MAX_TLBI_OPS - 1) >= 0;
        List<Smmuv3Command> commands = new ArrayList<>();
        addVmid(commands, domain.tag(), first, last, granuleShift, whole,
                (domain.flags() & Smmuv3HwptFlags.NEST_PARENT) != 0);
        for (int vmid : dependentTags) {
            addVmid(commands, vmid, first, last, granuleShift, whole, true);
        }
        Smmuv3CommandSubmission.issueWithSync(unit, commands);
    }

    private static void addVmid(List<Smmuv3Command> commands, int vmid, long first, long last, int granuleShift,
            boolean whole, boolean nestedEntries) {
        if (whole) {
            commands.add(Smmuv3CommandBuilder.tlbiS12Vmall(vmid));
            return; // S12_VMALL removes the stage-1 entries of the VMID too
        }
        for (long g = first; Long.compareUnsigned(g, last) <= 0; g++) {
            commands.add(Smmuv3CommandBuilder.tlbiS2Ipa(vmid, g << granuleShift, false));
        }
        if (nestedEntries) {
            commands.add(Smmuv3CommandBuilder.tlbiNhAll(vmid));
        }
    }

    private Smmuv3PagingFlush() {
    }
}
