package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.PageTableFormat;
import java.util.List;

/**
 * Stage-2 paging domains (Linux {@code arm_smmu_domain_alloc_paging_flags},
 * {@code arm_smmu_domain_finalise_s2}, {@code arm_smmu_domain_free_paging}).
 *
 * <p>A paging domain is its VMID (the descriptor's tag, from the unit's {@code "vmid"} space,
 * 1..255 or 1..65535) and its root table (the descriptor's root, {@link Smmuv3Stage2Layout}); the
 * tables below the root are built by the core from {@link #format}. Its vendor data is empty: the
 * geometry follows from the unit's registers and the flags.
 *
 * <p>Checks, in the kernel's order, all before anything is allocated: flags outside NEST_PARENT,
 * DIRTY_TRACKING and PASID (FAULT_ID_VALID is iommufd's own and ignored here) → EOPNOTSUPP;
 * NEST_PARENT combined with another flag → EOPNOTSUPP (the kernel's {@code switch (flags)} has no
 * such case); NEST_PARENT without both stages ({@code ARM_SMMU_FEAT_NESTING}) → EOPNOTSUPP; no
 * stage 2 at all → EOPNOTSUPP; DIRTY_TRACKING without HTTU access + dirty on a coherent SMMU →
 * EOPNOTSUPP. Then the VMID (ENOSPC when exhausted) and the root pages; if the latter fail the VMID
 * is returned.
 */
final class Smmuv3PagingDomains {

    private static final int ALLOWED = Smmuv3HwptFlags.NEST_PARENT | Smmuv3HwptFlags.DIRTY_TRACKING
            | Smmuv3HwptFlags.PASID;
    static final String VMID_SPACE = "vmid";

    static DomainDescriptor alloc(UnitContext unit, int flags) {
        int f = flags & ~Smmuv3HwptFlags.FAULT_ID_VALID;
        if ((f & ~ALLOWED) != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: unsupported IOMMU_HWPT_ALLOC flags 0x%x",
                    unit.name(), f & ~ALLOWED);
        }
        if ((f & Smmuv3HwptFlags.NEST_PARENT) != 0) {
            if (f != Smmuv3HwptFlags.NEST_PARENT) {
                throw IommuException.of(Errno.EOPNOTSUPP, "%s: NEST_PARENT cannot be combined with flags 0x%x",
                        unit.name(), f & ~Smmuv3HwptFlags.NEST_PARENT);
            }
            if (!Smmuv3UnitCapabilities.nesting(unit)) {
                throw IommuException.of(Errno.EOPNOTSUPP, "%s: a nest parent needs stage 1 and stage 2 (IDR0 0x%x)",
                        unit.name(), Smmuv3UnitCapabilities.idr0(unit));
            }
        }
        if (!Smmuv3UnitCapabilities.stage2(unit)) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: no stage-2 translation (IDR0.S2P clear) for a paging domain",
                    unit.name());
        }
        boolean dirty = (f & Smmuv3HwptFlags.DIRTY_TRACKING) != 0;
        if (dirty && !Smmuv3Stage2Layout.dirtyCapable(unit)) {
            throw IommuException.of(Errno.EOPNOTSUPP,
                    "%s: DIRTY_TRACKING needs IDR0.HTTU = access + dirty on a coherent SMMU", unit.name());
        }
        Smmuv3Stage2Layout layout = Smmuv3Stage2Layout.of(unit, dirty);
        int vmid = unit.allocateId(VMID_SPACE, 1, Smmuv3UnitCapabilities.maxVmid(unit));
        long root;
        try {
            root = unit.allocatePages(layout.rootPages());
        } catch (RuntimeException e) {
            unit.freeId(VMID_SPACE, vmid);
            throw e;
        }
        return new DomainDescriptor(false, vmid, root, layout.inputBits(), flags, new byte[0]);
    }

    static Smmuv3Stage2Layout layout(UnitContext unit, DomainDescriptor domain) {
        return Smmuv3Stage2Layout.of(unit, (domain.flags() & Smmuv3HwptFlags.DIRTY_TRACKING) != 0);
    }

    static PageTableFormat format(UnitContext unit, DomainDescriptor domain) {
        if (domain.nested()) {
            throw IommuException.of(Errno.EINVAL, "%s: a nested domain (tag %d) has no host paging format",
                    unit.name(), domain.tag());
        }
        return layout(unit, domain).format();
    }

    /**
     * Frees a paging domain: the TLB entries of its VMID go first (CMD_TLBI_S12_VMALL, what
     * io-pgtable's flush-all on free does), then the root pages and the VMID. Nested domains own
     * nothing.
     */
    static void free(UnitContext unit, DomainDescriptor domain) {
        if (domain.nested()) {
            return;
        }
        Smmuv3Stage2Layout layout = layout(unit, domain);
        if (Smmuv3DeviceReset.isUp(unit)) {
            Smmuv3CommandSubmission.issueWithSync(unit, List.of(Smmuv3CommandBuilder.tlbiS12Vmall(domain.tag())));
        }
        unit.freePages(domain.rootAddress(), layout.rootPages());
        unit.freeId(VMID_SPACE, domain.tag());
    }

    private Smmuv3PagingDomains() {
    }
}
