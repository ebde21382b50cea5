package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.driver.vtd.hw.VtdPasidEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * Programs and tears down PASID-table entries with the invalidations Linux issues around them
 * (drivers/iommu/intel/pasid.c).
 *
 * <p><b>Setting up</b> ({@code intel_pasid_setup_second_level / _nested / _pass_through /
 * _first_level}): the entry must not be present (EBUSY otherwise: it is never overwritten in place);
 * it is written with P last; then {@code pasid_flush_caches}: with Caching Mode a PASID-selective
 * PASID-cache invalidation and a PASID-based IOTLB invalidation of the whole PASID (the hardware may
 * have cached the entry as not present), without it nothing (a unit without RWBF needs no write-buffer
 * flush, and the device cannot hold translations it never requested).
 *
 * <p><b>Tearing down</b> ({@code intel_pasid_tear_down_entry}): a never-programmed entry is left
 * alone; an entry left "FPD only" is cleared; a present entry gets P cleared, then a PASID-selective
 * PASID-cache invalidation, then an IOTLB invalidation by PGTT (PASID-based over the whole PASID for
 * first-stage-only and pass-through entries, domain-selective by DID for second-stage and nested ones,
 * whose second-stage entries no PASID-based invalidation reaches), then, when the context entry
 * enables the device TLB, a device-TLB invalidation of everything (type 3 for RID_PASID, type 8 for
 * another PASID), and finally the entry is cleared.
 *
 * <p><b>Draining page requests</b> ({@code intel_iommu_drain_pasid_prq}, VT-d spec 7.10), after a
 * teardown when the context entry enables page requests (PRE): a fenced wait, a PASID-based IOTLB
 * invalidation of the PASID and a PASID-based device-TLB invalidation, submitted with PD on the
 * trailing wait. Linux first waits for its page-request thread to consume the PASID's pending
 * requests and retries while PRS.PRO is set; Nestor's host driver consumes no page requests itself
 * (the core reads them), so it has nothing to wait for, and the hardware model completes the drain
 * synchronously.
 */
public final class VtdPasidSetup {

    /**
     * Checks what {@code intel_pasid_setup_nested} checks of the user's stage-1 configuration, before
     * anything is written: addr_width 48, or 57 with CAP.FL5LP; SRE needs ECAP.SRS; EAFE needs
     * ECAP.EAFS. Each failure is EINVAL.
     */
    public static void checkNested(UnitContext unit, VtdUnitCapabilities caps, IommuHwptVtdS1 s1) {
        switch (s1.addrWidth()) {
            case IommuHwptVtdS1.ADDR_WIDTH_4LEVEL:
                break;
            case IommuHwptVtdS1.ADDR_WIDTH_5LEVEL:
                if (!caps.fiveLevelFirstStage()) {
                    throw IommuException.of(Errno.EINVAL, "%s: stage-1 addr_width 57 needs 5-level paging (CAP.FL5LP)",
                            unit.name());
                }
                break;
            default:
                throw IommuException.of(Errno.EINVAL, "%s: invalid stage-1 addr_width %d (48 or 57)", unit.name(),
                        s1.addrWidth());
        }
        if (s1.sre() && !caps.supervisorRequests()) {
            throw IommuException.of(Errno.EINVAL, "%s: IOMMU_VTD_S1_SRE without supervisor request support (ECAP.SRS)",
                    unit.name());
        }
        if (s1.eafe() && !caps.extendedAccessFlag()) {
            throw IommuException.of(Errno.EINVAL,
                    "%s: IOMMU_VTD_S1_EAFE without extended access flag support (ECAP.EAFS)",
                    unit.name());
        }
    }

    /** The second-stage-only entry of a paging domain ({@code pasid_pte_config_second_level}). */
    public static long[] secondStageEntry(VtdUnitCapabilities caps, DomainDescriptor paging) {
        return new VtdPasidEntryBuilder().domainId(paging.tag()).secondStagePointer(paging.rootAddress())
                .addressWidth(VtdPagingDomains.awField(paging)).pageWalkSnoop(caps.pageWalkSnoop())
                .secondStageAccessedDirty((paging.flags() & IommuHwptAllocFlags.DIRTY_TRACKING) != 0)
                .present(VtdPasidEntry.PGTT_SECOND_STAGE);
    }

    /**
     * The nested entry of a nested domain over its parent ({@code pasid_pte_config_nestd}): FSPTPTR
     * the guest's table, FSPM from addr_width, SRE (and WPE only with SRE), EAFE, the parent's
     * second stage, the nested domain's DID.
     */
    public static long[] nestedEntry(VtdUnitCapabilities caps, int did, IommuHwptVtdS1 s1, DomainDescriptor parent) {
        return new VtdPasidEntryBuilder()
                .fiveLevelFirstStage(s1.addrWidth() == IommuHwptVtdS1.ADDR_WIDTH_5LEVEL)
                .firstStagePointer(s1.pgtblAddr())
                .supervisorRequests(s1.sre()).writeProtect(s1.sre() && s1.wpe())
                .extendedAccessFlag(s1.eafe())
                .secondStagePointer(parent.rootAddress()).domainId(did)
                .addressWidth(VtdPagingDomains.awField(parent)).pageWalkSnoop(caps.pageWalkSnoop())
                .secondStageAccessedDirty((parent.flags() & IommuHwptAllocFlags.DIRTY_TRACKING) != 0)
                .present(VtdPasidEntry.PGTT_NESTED);
    }

    /** The pass-through entry ({@code pasid_pte_config_pass_through}): DID {@code FLPT_DEFAULT_DID}, AW = agaw. */
    public static long[] passThroughEntry(VtdUnitCapabilities caps) {
        return new VtdPasidEntryBuilder().domainId(VtdDomainIds.FLPT_DEFAULT_DID).addressWidth(caps.agaw())
                .pageWalkSnoop(caps.pageWalkSnoop()).present(VtdPasidEntry.PGTT_PASS_THROUGH);
    }

    /** A first-stage-only entry ({@code pasid_pte_config_first_level}) for a table at host address {@code root}. */
    public static long[] firstStageEntry(VtdUnitCapabilities caps, int did, long root, boolean fiveLevel) {
        return new VtdPasidEntryBuilder().firstStagePointer(root).fiveLevelFirstStage(fiveLevel).domainId(did)
                .addressWidth(caps.agaw()).pageWalkSnoop(caps.pageWalkSnoop()).present(VtdPasidEntry.PGTT_FIRST_STAGE);
    }

    /**
     * Writes {@code entry} for {@code pasid} under the device's context and flushes as
     * {@code pasid_flush_caches} does.
     *
     * @throws IommuException EBUSY when the entry is present
     */
    public static void install(UnitContext unit, VtdUnitCapabilities caps, VtdDeviceTables.Context context,
            int pasid, long[] entry) {
        PhysicalMemory memory = unit.memory();
        long address = VtdDeviceTables.pasidEntryAddress(unit, context, pasid, false);
        if (address >= 0 && VtdDeviceTables.readPasidEntry(memory, address).present()) {
            throw IommuException.of(Errno.EBUSY, "%s: PASID %d of the device is in use", unit.name(), pasid);
        }
        if (address < 0) {
            address = VtdDeviceTables.pasidEntryAddress(unit, context, pasid, true);
        }
        VtdDeviceTables.writePasidEntry(memory, address, entry);
        if (caps.cachingMode()) {
            int did = new VtdPasidEntry(entry).domainId();
            VtdQueuedInvalidation.submitSync(unit, List.of(
                    VtdQiDescriptor.pasidCache(did, VtdQiDescriptor.PC_GRAN_PASID, pasid),
                    VtdQiDescriptor.piotlbPasid(did, pasid)));
        }
    }

    /** Whether the entry for {@code pasid} is present. */
    public static boolean present(UnitContext unit, VtdDeviceTables.Context context, int pasid) {
        long address = VtdDeviceTables.pasidEntryAddress(unit, context, pasid, false);
        return address >= 0 && VtdDeviceTables.readPasidEntry(unit.memory(), address).present();
    }

    /** The present entry for {@code pasid}, or {@code null}. */
    public static VtdPasidEntry presentEntry(UnitContext unit, VtdDeviceTables.Context context, int pasid) {
        long address = VtdDeviceTables.pasidEntryAddress(unit, context, pasid, false);
        if (address < 0) {
            return null;
        }
        VtdPasidEntry e = VtdDeviceTables.readPasidEntry(unit.memory(), address);
        return e.present() ? e : null;
    }

    /** Tears the entry for {@code pasid} down, as {@code intel_pasid_tear_down_entry(..., false)}. */
    public static void tearDown(UnitContext unit, VtdDeviceTables.Context context, int sourceId, int pasid) {
        PhysicalMemory memory = unit.memory();
        long address = VtdDeviceTables.pasidEntryAddress(unit, context, pasid, false);
        if (address < 0) {
            return;
        }
        VtdPasidEntry entry = VtdDeviceTables.readPasidEntry(memory, address);
        if (!entry.present()) {
            if (entry.faultProcessingDisable()) {
                VtdDeviceTables.writePasidEntry(memory, address, new long[VtdPasidEntry.QWORDS]);
                drainPageRequests(unit, context, sourceId, pasid, entry.domainId());
            }
            return;
        }
        int did = entry.domainId();
        int pgtt = entry.pgtt();
        memory.write64(address, entry.qword(0) & ~1L);

        List<VtdQiDescriptor> flush = new ArrayList<>();
        flush.add(VtdQiDescriptor.pasidCache(did, VtdQiDescriptor.PC_GRAN_PASID, pasid));
        if (pgtt == VtdPasidEntry.PGTT_PASS_THROUGH || pgtt == VtdPasidEntry.PGTT_FIRST_STAGE) {
            flush.add(VtdQiDescriptor.piotlbPasid(did, pasid));
        } else {
            flush.add(VtdQiDescriptor.iotlbDomain(did));
        }
        if (context.entry().deviceTlbEnable()) {
            flush.add(deviceTlbAll(sourceId, pasid));
        }
        VtdQueuedInvalidation.submitSync(unit, flush);
        VtdDeviceTables.writePasidEntry(memory, address, new long[VtdPasidEntry.QWORDS]);
        drainPageRequests(unit, context, sourceId, pasid, did);
    }

    /** Linux {@code intel_iommu_drain_pasid_prq}, for a device whose context entry has PRE. */
    static void drainPageRequests(UnitContext unit, VtdDeviceTables.Context context, int sourceId, int pasid,
            int did) {
        if (!context.entry().pageRequestEnable()) {
            return;
        }
        VtdQueuedInvalidation.submitSync(unit, List.of(VtdQiDescriptor.waitFence(VtdQiDescriptor.QI_DONE),
                VtdQiDescriptor.piotlbPasid(did, pasid), VtdQiDescriptor.pasidDeviceTlb(sourceId, pasid, 0, 0)), true);
    }

    /** Linux {@code devtlb_invalidation_with_pasid}: everything the device caches for the PASID. */
    static VtdQiDescriptor deviceTlbAll(int sourceId, int pasid) {
        return pasid == VtdDeviceTables.RID_PASID
                ? VtdQiDescriptor.deviceTlb(sourceId, 0, VtdQiDescriptor.DEVTLB_ALL)
                : VtdQiDescriptor.pasidDeviceTlb(sourceId, pasid, 0, VtdQiDescriptor.DEVTLB_ALL);
    }

    private VtdPasidSetup() {
    }
}
