package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.driver.ViommuDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.List;

/**
 * The vIOMMU and nested domains (Linux arm-smmu-v3-iommufd.c: {@code arm_vsmmu_init},
 * {@code arm_smmu_get_viommu_size}, {@code arm_vsmmu_alloc_domain_nested}).
 *
 * <p><b>VMID.</b> The vIOMMU owns the VMID its nested domains' STEs carry: one per VM on a unit, as
 * the VMID-per-vSMMU rework intends (mainline still borrows the parent's, with a FIXME saying it
 * belongs to the vIOMMU). It comes from the unit's {@code "vmid"} space and is returned, after a
 * CMD_TLBI_S12_VMALL, when the vIOMMU is freed. Whoever changes the parent's stage 2 must therefore
 * invalidate the vIOMMU's VMID as well as the parent's (its {@link ViommuDescriptor#tag()}).
 *
 * <p><b>Hardware MSI regions.</b> A unit behind a hardware MSI window refuses nesting with EINVAL,
 * as Eric Auger's nested-stage series did ("Disallow nested mode in presence of HW MSI regions"):
 * MSIs to such a doorbell bypass the SMMU, and the guest cannot know it must leave that range alone.
 */
final class Smmuv3NestedDomains {

    static ViommuDescriptor allocViommu(UnitContext unit, DomainDescriptor parent, int type, byte[] data) {
        if (type != ViommuDescriptor.TYPE_ARM_SMMUV3) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: vIOMMU type %d is not IOMMU_VIOMMU_TYPE_ARM_SMMUV3",
                    unit.name(), type);
        }
        checkNestingAllowed(unit, parent);
        // IOMMU_VIOMMU_TYPE_ARM_SMMUV3 takes no driver data; like the kernel, any given is ignored.
        int vmid = unit.allocateId(Smmuv3PagingDomains.VMID_SPACE, 1, Smmuv3UnitCapabilities.maxVmid(unit));
        return new ViommuDescriptor(type, vmid, parent);
    }

    static void freeViommu(UnitContext unit, ViommuDescriptor viommu) {
        if (Smmuv3DeviceReset.isUp(unit)) {
            Smmuv3CommandSubmission.issueWithSync(unit, List.of(Smmuv3CommandBuilder.tlbiS12Vmall(viommu.tag())));
        }
        unit.freeId(Smmuv3PagingDomains.VMID_SPACE, viommu.tag());
    }

    /**
     * {@code IOMMU_HWPT_ALLOC} on a vIOMMU: flags other than FAULT_ID_VALID (iommufd's) → EOPNOTSUPP,
     * then the guest STE ({@link Smmuv3VirtualSte}).
     */
    static DomainDescriptor allocOnViommu(UnitContext unit, ViommuDescriptor viommu, int flags, int dataType,
            byte[] data) {
        checkFlags(unit, flags);
        Smmuv3VirtualSte vste = Smmuv3VirtualSte.parse(dataType, data);
        return descriptor(viommu.tag(), viommu.parent(), flags, vste);
    }

    /**
     * {@code IOMMU_HWPT_ALLOC} with a paging HWPT as parent, as the kernel had it before vIOMMUs
     * ({@code arm_smmu_domain_alloc_nesting}, 6.12): the parent must be a nest parent of this unit
     * (EINVAL) and its VMID is used.
     */
    static DomainDescriptor allocOnParent(UnitContext unit, DomainDescriptor parent, int flags, int dataType,
            byte[] data) {
        checkFlags(unit, flags);
        checkNestingAllowed(unit, parent);
        Smmuv3VirtualSte vste = Smmuv3VirtualSte.parse(dataType, data);
        return descriptor(parent.tag(), parent, flags, vste);
    }

    private static DomainDescriptor descriptor(int vmid, DomainDescriptor parent, int flags, Smmuv3VirtualSte vste) {
        Smmuv3NestedDomainData data = new Smmuv3NestedDomainData(vste.ste0(), vste.ste1(), vste.enableAts(),
                parent.tag(), parent.flags(), parent.rootAddress());
        return new DomainDescriptor(true, vmid, parent.rootAddress(), parent.addressWidth(), flags, data.encode());
    }

    private static void checkFlags(UnitContext unit, int flags) {
        int f = flags & ~Smmuv3HwptFlags.FAULT_ID_VALID;
        if (f != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: a nested domain takes no flags, got 0x%x", unit.name(), f);
        }
    }

    /**
     * What every nesting operation needs, in this order: the unit has both stages (EOPNOTSUPP),
     * {@code parent} is a nest parent (EINVAL), no hardware MSI region (EINVAL).
     */
    static void checkNestingAllowed(UnitContext unit, DomainDescriptor parent) {
        if (!Smmuv3UnitCapabilities.nesting(unit)) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: no nesting (IDR0 0x%x needs S1P and S2P)", unit.name(),
                    Smmuv3UnitCapabilities.idr0(unit));
        }
        checkNestParent(unit, parent);
        checkNoHardwareMsiRegion(unit);
    }

    static void checkNestParent(UnitContext unit, DomainDescriptor parent) {
        if (parent == null || parent.nested() || (parent.flags() & Smmuv3HwptFlags.NEST_PARENT) == 0) {
            throw IommuException.of(Errno.EINVAL, "%s: parent %s is not a paging domain allocated with NEST_PARENT",
                    unit.name(), parent == null ? "null" : "with tag " + parent.tag() + " and flags 0x"
                            + Integer.toHexString(parent.flags()));
        }
    }

    private static void checkNoHardwareMsiRegion(UnitContext unit) {
        if (unit.features().hardwareMsiRegion()) {
            throw IommuException.of(Errno.EINVAL, "%s: nesting is not allowed on an SMMU behind a hardware MSI region",
                    unit.name());
        }
    }

    private Smmuv3NestedDomains() {
    }
}
