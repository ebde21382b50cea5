package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.vtd.hw.VtdPasidEntry;

/**
 * Attaching a device's requests without PASID (RID_PASID) or one PASID to a domain, and detaching,
 * as Linux's {@code intel_iommu_attach_device}, {@code intel_nested_attach_dev},
 * {@code intel_iommu_set_dev_pasid}, {@code intel_nested_set_dev_pasid} and the blocking domain do,
 * over the structures of {@link VtdDeviceTables} and the entries of {@link VtdPasidSetup}.
 *
 * <p>Every check runs before the first write, so a refused attach changes nothing:
 * <ul>
 *   <li>a source-id wider than 16 bits, EINVAL;</li>
 *   <li>PASID attach: PASID 0 (IOMMU_NO_PASID), a device without PASID or a PASID at or beyond the
 *       device's {@code max_pasids} = min(device, unit), EINVAL (the iommu core's checks); a domain
 *       with dirty tracking, EINVAL (PASID entries do not take part in dirty tracking in Linux);</li>
 *   <li>paging domain ({@code paging_domain_compatible}): dirty tracking on a unit without it, or an
 *       address width beyond the unit's, EINVAL;</li>
 *   <li>nested domain: a parent deeper than the unit's agaw, ENODEV; the parent's compatibility as
 *       above; then {@link VtdPasidSetup#checkNested}, EINVAL;</li>
 *   <li>PASID attach on a PASID in use, EBUSY.</li>
 * </ul>
 * Attaching the RID while it is attached replaces: Linux blocks translation first
 * ({@code device_block_translation}), which tears the old entry down with its invalidations, then
 * programs the new one. Detaching an unattached device or PASID is a silent no-op.
 */
public final class VtdDomainAttach {

    public static void attachDevice(UnitContext unit, DeviceInfo device, DomainDescriptor domain) {
        VtdStructureLock.run(unit, () -> {
            checkSourceId(unit, device);
            VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
            long[] entry = entryFor(unit, caps, domain);
            long root = VtdUnitBringUp.ensure(unit);
            VtdDeviceTables.Context context = VtdDeviceTables.ensureContext(unit, caps, root, device);
            VtdPasidSetup.tearDown(unit, context, device.sourceId(), VtdDeviceTables.RID_PASID);
            VtdPasidSetup.install(unit, caps, context, VtdDeviceTables.RID_PASID, entry);
        });
    }

    public static void attachPasid(UnitContext unit, DeviceInfo device, int pasid, DomainDescriptor domain) {
        VtdStructureLock.run(unit, () -> {
            checkSourceId(unit, device);
            VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
            checkPasid(unit, caps, device, pasid);
            DomainDescriptor secondStage = domain.nested() ? VtdNestedDomainData.of(domain).parent() : domain;
            if ((secondStage.flags() & IommuHwptAllocFlags.DIRTY_TRACKING) != 0) {
                throw IommuException.of(Errno.EINVAL,
                        "%s: domain DID %d tracks dirty pages, not attachable to PASID %d",
                        unit.name(), secondStage.tag(), pasid);
            }
            long[] entry = entryFor(unit, caps, domain);
            long root = VtdUnitBringUp.ensure(unit);
            VtdDeviceTables.Context existing = VtdDeviceTables.findContext(unit, root, device.sourceId());
            if (existing != null && VtdPasidSetup.present(unit, existing, pasid)) {
                throw IommuException.of(Errno.EBUSY, "%s: PASID %d of %s is already attached", unit.name(), pasid,
                        device.name());
            }
            VtdDeviceTables.Context context = VtdDeviceTables.ensureContext(unit, caps, root, device);
            VtdPasidSetup.install(unit, caps, context, pasid, entry);
        });
    }

    /**
     * Attaches {@code pasid} ({@link DeviceInfo#NO_PASID} for the RID) to pass-through, as Linux's
     * identity domain does ({@code intel_pasid_setup_pass_through}). No {@code IommuDriver}
     * operation reaches it yet: the SPI has no identity domain.
     */
    public static void attachPassThrough(UnitContext unit, DeviceInfo device, int pasid) {
        VtdStructureLock.run(unit, () -> {
            checkSourceId(unit, device);
            VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
            int entryPasid = pasid == DeviceInfo.NO_PASID ? VtdDeviceTables.RID_PASID : pasid;
            if (pasid != DeviceInfo.NO_PASID) {
                checkPasid(unit, caps, device, pasid);
            }
            long root = VtdUnitBringUp.ensure(unit);
            VtdDeviceTables.Context context = VtdDeviceTables.ensureContext(unit, caps, root, device);
            if (pasid == DeviceInfo.NO_PASID) {
                VtdPasidSetup.tearDown(unit, context, device.sourceId(), entryPasid);
            }
            VtdPasidSetup.install(unit, caps, context, entryPasid, VtdPasidSetup.passThroughEntry(caps));
        });
    }

    /** Puts the RID ({@link DeviceInfo#NO_PASID}) or one PASID back to blocked DMA (a cleared entry). */
    public static void detach(UnitContext unit, DeviceInfo device, int pasid) {
        VtdStructureLock.run(unit, () -> {
            checkSourceId(unit, device);
            if (pasid != DeviceInfo.NO_PASID && (pasid <= 0 || pasid > VtdPasidEntry.MAX_PASID)) {
                throw IommuException.of(Errno.EINVAL, "%s: PASID %d outside 1..%d", unit.name(), pasid,
                        VtdPasidEntry.MAX_PASID);
            }
            if (!VtdUnitBringUp.rootTableLatched(unit)) {
                return;
            }
            long root = VtdUnitBringUp.ensure(unit);
            VtdDeviceTables.Context context = VtdDeviceTables.findContext(unit, root, device.sourceId());
            if (context == null) {
                return;
            }
            int entryPasid = pasid == DeviceInfo.NO_PASID ? VtdDeviceTables.RID_PASID : pasid;
            if ((entryPasid >>> 6) >= context.entry().pasidDirectoryEntries()) {
                return;
            }
            VtdPasidSetup.tearDown(unit, context, device.sourceId(), entryPasid);
        });
    }

    /** The entry a domain needs, after every check that can refuse it. */
    static long[] entryFor(UnitContext unit, VtdUnitCapabilities caps, DomainDescriptor domain) {
        if (!domain.nested()) {
            checkPaging(unit, caps, domain);
            return VtdPasidSetup.secondStageEntry(caps, domain);
        }
        VtdNestedDomainData data = VtdNestedDomainData.of(domain);
        DomainDescriptor parent = data.parent();
        if (VtdPagingDomains.awField(parent) > caps.agaw()) {
            throw IommuException.of(Errno.ENODEV, "%s: parent DID %d is %d bits wide, the unit handles %d", unit.name(),
                    parent.tag(), parent.addressWidth(), caps.domainAddressWidth());
        }
        checkPaging(unit, caps, parent);
        VtdPasidSetup.checkNested(unit, caps, data.s1());
        return VtdPasidSetup.nestedEntry(caps, domain.tag(), data.s1(), parent);
    }

    /** {@code paging_domain_compatible}: what a second-stage domain needs of the unit. */
    static void checkPaging(UnitContext unit, VtdUnitCapabilities caps, DomainDescriptor paging) {
        if ((paging.flags() & IommuHwptAllocFlags.DIRTY_TRACKING) != 0 && !caps.ssadsSupported()) {
            throw IommuException.of(Errno.EINVAL, "%s: domain DID %d tracks dirty pages, the unit cannot",
                    unit.name(), paging.tag());
        }
        if (paging.addressWidth() > caps.domainAddressWidth()) {
            throw IommuException.of(Errno.EINVAL, "%s: domain DID %d is %d bits wide, the unit handles %d",
                    unit.name(), paging.tag(), paging.addressWidth(), caps.domainAddressWidth());
        }
    }

    static void checkPasid(UnitContext unit, VtdUnitCapabilities caps, DeviceInfo device, int pasid) {
        int maxPasids = device.pasidCapable() ? Math.min(1 << device.pasidBits(), caps.maxPasids()) : 0;
        if (pasid <= VtdDeviceTables.RID_PASID || pasid >= maxPasids) {
            throw IommuException.of(Errno.EINVAL,
                    "%s: PASID %d outside 1..%d of device %s (device %d bits, unit %d PASIDs)",
                    unit.name(), pasid, maxPasids - 1, device.name(), device.pasidBits(), caps.maxPasids());
        }
    }

    static void checkSourceId(UnitContext unit, DeviceInfo device) {
        if (device.sourceId() > 0xFFFF) {
            throw IommuException.of(Errno.EINVAL, "%s: source-id 0x%x of %s is not a 16-bit requester id", unit.name(),
                    device.sourceId(), device.name());
        }
    }

    private VtdDomainAttach() {
    }
}
