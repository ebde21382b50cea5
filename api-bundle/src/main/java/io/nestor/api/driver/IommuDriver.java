package io.nestor.api.driver;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.TranslationConfig;
import java.util.function.LongFunction;

/**
 * A vendor IOMMU driver, registered as an OSGi service with the property {@value #PROPERTY_KIND}
 * set to its {@link #kind()}. The core binds each unit to the highest-ranked driver of the unit's
 * kind.
 *
 * <p>A driver plays two halves, kept in separate packages of its bundle:
 * <ul>
 *   <li>the <b>host driver</b> (what {@code intel-iommu.c} / {@code arm-smmu-v3.c} do): report
 *       {@code hw_info}, allocate paging and nested domains, attach devices and PASIDs by writing
 *       the configuration structures, and turn user invalidation requests into hardware ones;</li>
 *   <li>the <b>hardware</b>: reset a unit's registers, decode a device's configuration from memory
 *       into a {@link TranslationConfig}, and supply page-table formats.</li>
 * </ul>
 *
 * <p><b>Statelessness.</b> A driver keeps no mutable state between calls. Everything — memory, the
 * unit's registers and queues, domains — belongs to the core and arrives through the
 * {@link UnitContext}; so an updated driver bundle resumes exactly where the old one stopped.
 *
 * <p><b>Optional operations.</b> As in the kernel, an operation a driver does not provide answers
 * {@code EOPNOTSUPP}; the defaults below do exactly that.
 */
public interface IommuDriver {

    /** Service property naming the kind, for example {@code intel-vtd} or {@code arm-smmuv3}. */
    String PROPERTY_KIND = "nestor.driver.kind";

    String KIND_INTEL_VTD = "intel-vtd";
    String KIND_ARM_SMMUV3 = "arm-smmuv3";

    /** The unit kind this driver serves; equal to its {@value #PROPERTY_KIND} property. */
    String kind();

    // ---- hardware half -------------------------------------------------------------------------

    /**
     * Power-on reset: fills the unit's read-only identification registers (VT-d CAP / ECAP,
     * SMMUv3 IDR0–IDR5) from its {@link UnitFeatures} and the rest of the register file with reset
     * values. Called once when the core creates the unit, never again on a driver swap.
     */
    void reset(UnitContext unit);

    /**
     * Decodes the configuration that applies to requests from {@code device} with {@code pasid}
     * ({@link DeviceInfo#NO_PASID} for requests without one), reading the unit's registers and the
     * structures in memory the way the hardware does.
     *
     * @throws FaultException when the configuration is absent or invalid; the fault is reported
     *     for the device and the request is aborted
     */
    TranslationConfig decodeConfig(UnitContext unit, DeviceInfo device, int pasid) throws FaultException;

    /**
     * Records a non-recoverable fault the way the hardware does — VT-d: a fault record in the
     * fault-recording registers with FSTS updated; SMMUv3: an event in the event queue — and
     * returns the record as written (VT-d 16 bytes, SMMUv3 32 bytes), or an empty array when the
     * hardware drops it (fault log overflow, event queue full, reporting disabled for the device).
     * The core calls it after a faulting translation, {@code pasid} as in {@link #decodeConfig}.
     */
    default byte[] recordFault(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        throw unsupported("fault recording");
    }

    /**
     * Whether the hardware stalls this faulting transaction instead of terminating it — SMMUv3 with
     * the stall model, STE.S2S for a stage-2 fault, CD.S for a stage-1 one. The core then raises it
     * as a stalled transaction ({@link #recordPageRequest} with a stall tag) and lets it wait for
     * the resume: retried on success, terminated otherwise. Not recorded through
     * {@link #recordFault}. VT-d never stalls (the default).
     */
    default boolean stallsOnFault(UnitContext unit, DeviceInfo device, int pasid, Fault fault) {
        return false;
    }

    /**
     * Records a recoverable fault the way the hardware does — VT-d: a page request descriptor in
     * the page request queue; SMMUv3: an entry in the PRI queue, or a stall event — and returns it
     * as written, or an empty array when the queue is full (the hardware then answers the device
     * itself, through {@link UnitContext#completePageRequest}).
     */
    default byte[] recordPageRequest(UnitContext unit, DeviceInfo device, PageRequest request) {
        throw unsupported("page requests");
    }

    // ---- host-driver half ----------------------------------------------------------------------

    /**
     * The unit's answer to {@code IOMMU_GET_HW_INFO}: the vendor structure ({@code iommu_hw_info_vtd},
     * {@code iommu_hw_info_arm_smmuv3}) read from the unit's registers, plus capability bits.
     */
    HwInfo hwInfo(UnitContext unit);

    /**
     * Allocates a paging (stage-2, host-owned) domain with {@code IOMMU_HWPT_ALLOC_*} flags; the
     * returned descriptor is kept by the core.
     */
    default DomainDescriptor allocPagingDomain(UnitContext unit, int flags) {
        throw unsupported("paging domain allocation");
    }

    /** Frees a domain this driver allocated (its tables and ids); the core detached it everywhere first. */
    default void freeDomain(UnitContext unit, DomainDescriptor domain) {
        throw unsupported("domain free");
    }

    /** The page-table format of a paging domain this driver allocated. */
    default PageTableFormat pagingFormat(UnitContext unit, DomainDescriptor domain) {
        throw unsupported("paging formats");
    }

    /**
     * Flushes the unit's IOTLB for {@code [iova, iova + size)} of a paging domain whose table the
     * core changed (the kernel's {@code iotlb_sync} after an unmap): the core frees unlinked table
     * pages only after this returns. Translations cached through the domain by the domains and
     * vIOMMUs built over it go too: {@code dependentTags} are their hardware tags (VT-d: the DID of
     * each nested domain over this parent; SMMUv3: the VMID of each vIOMMU over it).
     *
     * <p>When a driver answers {@code EOPNOTSUPP} the core invalidates the unit's caches directly
     * (a stage-2 range scope for the domain's tag and each dependent tag).
     *
     * @param size bytes, non-zero; {@code iova + size} does not wrap
     * @since 1.2
     */
    default void flushPagingRange(UnitContext unit, DomainDescriptor domain, long iova, long size,
            int[] dependentTags) {
        throw unsupported("paging-domain IOTLB flush");
    }

    /**
     * Allocates a nested domain over {@code parent} from vendor data in the kernel's little-endian
     * layout ({@code struct iommu_hwpt_vtd_s1}, {@code struct iommu_hwpt_arm_smmuv3}).
     */
    default DomainDescriptor allocNestedDomain(UnitContext unit, DomainDescriptor parent, int flags,
            int dataType, byte[] data) {
        throw unsupported("nested domain allocation");
    }

    /**
     * The device's reserved IOVA regions ({@code iommu_ops.get_resv_regions}): VT-d's interrupt
     * range, SMMUv3's software MSI window, RMRRs. iommufd reserves them (all but
     * {@link ReservedRegion.Type#DIRECT_RELAXABLE}) in an IOAS the device's RID attaches to. The
     * default reports none.
     *
     * @since 1.2
     */
    default java.util.List<ReservedRegion> reservedRegions(UnitContext unit, DeviceInfo device) {
        return java.util.List.of();
    }

    /** Attaches the device's requests without a PASID (RID / StreamID) to {@code domain}. */
    default void attachDevice(UnitContext unit, DeviceInfo device, DomainDescriptor domain) {
        throw unsupported("device attach");
    }

    /** Attaches one PASID / SubstreamID of the device to {@code domain}. */
    default void attachPasid(UnitContext unit, DeviceInfo device, int pasid, DomainDescriptor domain) {
        throw unsupported("PASID attach");
    }

    /** Puts the device (or one PASID of it) back to blocked DMA. */
    default void detach(UnitContext unit, DeviceInfo device, int pasid) {
        throw unsupported("detach");
    }

    /**
     * Processes user invalidation entries of {@code entryLen} bytes each, in order, up to the first
     * bad one.
     *
     * @return the number of entries handled; on failure the thrown {@link IommuException} carries
     *     that number as the out value {@code entry_num}
     */
    default int invalidateUser(UnitContext unit, DomainDescriptor domain, int dataType, int entryLen,
            byte[] entries) {
        throw unsupported("user invalidation");
    }

    /**
     * Answers a recoverable fault: submits a page group response (VT-d, through the invalidation
     * queue; SMMUv3 {@code CMD_PRI_RESP}) or a resume ({@code CMD_RESUME}) for a stall.
     */
    default void pageResponse(UnitContext unit, DeviceInfo device, PageResponse response) {
        throw unsupported("page responses");
    }

    // ---- vIOMMU (iommufd IOMMU_VIOMMU_ALLOC and what hangs off it) --------------------------------

    /** Allocates a vIOMMU over a nest-parent paging domain ({@code IOMMU_VIOMMU_ALLOC}). */
    default ViommuDescriptor allocViommu(UnitContext unit, DomainDescriptor parent, int type, byte[] data) {
        throw unsupported("vIOMMU allocation");
    }

    /** Frees a vIOMMU (its VMID); the core destroyed everything that used it first. */
    default void freeViommu(UnitContext unit, ViommuDescriptor viommu) {
        throw unsupported("vIOMMU free");
    }

    /** Allocates a nested domain on a vIOMMU ({@code IOMMU_HWPT_ALLOC} with a vIOMMU as {@code pt_id}). */
    default DomainDescriptor allocNestedDomain(UnitContext unit, ViommuDescriptor viommu, int flags, int dataType,
            byte[] data) {
        throw unsupported("nested domain allocation on a vIOMMU");
    }

    /**
     * Processes vIOMMU invalidation entries ({@code IOMMU_HWPT_INVALIDATE} on a vIOMMU), in order,
     * up to the first bad one, as {@link #invalidateUser} does.
     *
     * @param vdevices the vIOMMU's vDEVICEs: virtual id (vSID) to device, {@code null} when none
     */
    default int invalidateViommu(UnitContext unit, ViommuDescriptor viommu, LongFunction<DeviceInfo> vdevices,
            int dataType, int entryLen, byte[] entries) {
        throw unsupported("vIOMMU invalidation");
    }

    // ---- vSVA nesting operations of the VFIO type1 nesting series (never merged) -----------------

    /**
     * Binds a guest PASID's first-stage table over {@code parent} from {@code struct
     * iommu_gpasid_bind_data} bytes (VT-d, {@code VFIO_IOMMU_NESTING_OP_BIND_PGTBL}).
     */
    default void bindGuestPasid(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] bindData) {
        throw unsupported("guest PASID bind");
    }

    /** Undoes {@link #bindGuestPasid} for the host PASID in {@code bindData} ({@code UNBIND_PGTBL}). */
    default void unbindGuestPasid(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] bindData) {
        throw unsupported("guest PASID unbind");
    }

    /**
     * Installs the guest's PASID (CD) table under {@code parent} from {@code struct
     * iommu_pasid_table_config} bytes (SMMUv3, {@code VFIO_IOMMU_NESTING_OP_SET_PASID_TABLE}).
     */
    default void setPasidTable(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] config) {
        throw unsupported("PASID table bind");
    }

    /** Undoes {@link #setPasidTable} ({@code UNSET_PASID_TABLE}). */
    default void unsetPasidTable(UnitContext unit, DeviceInfo device, DomainDescriptor parent) {
        throw unsupported("PASID table unbind");
    }

    /**
     * Invalidates the device's guest-owned caches from {@code struct iommu_cache_invalidate_info}
     * bytes ({@code VFIO_IOMMU_NESTING_OP_CACHE_INVLD}).
     */
    default void cacheInvalidate(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] info) {
        throw unsupported("guest cache invalidation");
    }

    private IommuException unsupported(String what) {
        return new IommuException(Errno.EOPNOTSUPP, kind() + " driver does not implement " + what);
    }
}
