package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.vtd.hw.VtdPasidEntry;

/**
 * {@code VFIO_IOMMU_NESTING_OP_BIND_PGTBL} / {@code UNBIND_PGTBL} of the vSVA series: binds a guest
 * PASID's first-stage table over the container's second-stage domain, as Linux 5.10's
 * {@code intel_svm_bind_gpasid()} / {@code intel_svm_unbind_gpasid()} with
 * {@code intel_pasid_setup_nested()} did.
 *
 * <p>Bind checks, after {@link IommuGpasidBindData#parse}, all before anything is written (the 5.10
 * code cleared the PASID entry before some of them; Nestor does not leave such half-written state):
 * format other than VT-d, EINVAL; VT-d flags at or beyond LAST, EINVAL; a device whose PASID space is
 * not the full 20 bits, EINVAL; hpasid 0 or at or beyond 2^20 (or beyond the unit's PASID space),
 * EINVAL; a parent that is not a nest parent, EINVAL; a unit without ECAP.NEST, EINVAL; the PASID
 * already bound, EBUSY; addr_width 48, or 57 with CAP.FL5LP, SRE without ECAP.SRS, EAFE without
 * ECAP.EAFS, EINVAL ({@link VtdPasidSetup#checkNested}, shared with nested-domain attach); a gpgd
 * beyond the parent's address width, EINVAL (Linux compared it with the highest address mapped in
 * the parent, {@code domain->max_addr}, which a stateless driver does not know; the width is the
 * bound that cannot change); any memory-type flag (PCD, PWT, EMTE, CD: not supported), EINVAL.
 *
 * <p>The entry is nested: FSPTPTR = gpgd, FSPM from addr_width, SRE, WPE under SRE, EAFE; the
 * parent's second stage, its DID and AW, PWSNP per ECAP.SMPWCS; flushed as any new entry
 * ({@link VtdPasidSetup#install}). The guest PASID is not recorded: it only matters for reporting
 * faults to the guest, which Nestor's fault path does by host PASID.
 *
 * <p>Unbind: the same parsing and hpasid range check; an hpasid not bound is a no-op (as Linux); one
 * bound to something other than a nested entry of this parent, EINVAL; otherwise the entry is torn
 * down with its invalidations.
 */
public final class VtdGuestPasidBinding {


    public static void bind(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] bindData) {
        VtdStructureLock.run(unit, () -> {
            VtdDomainAttach.checkSourceId(unit, device);
            IommuGpasidBindData data = IommuGpasidBindData.parse(bindData);
            VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
            if (data.format() != IommuGpasidBindData.FORMAT_INTEL_VTD) {
                throw IommuException.of(Errno.EINVAL,
                        "%s: bind format %d, only Intel VT-d (%d)", unit.name(), data.format(),
                        IommuGpasidBindData.FORMAT_INTEL_VTD);
            }
            if ((data.vtdFlags() & ~(IommuGpasidBindData.VTD_LAST - 1)) != 0) {
                throw IommuException.of(Errno.EINVAL, "%s: VT-d bind flags 0x%x name undefined bits", unit.name(),
                        data.vtdFlags());
            }
            if (device.pasidBits() != 20) {
                throw IommuException.of(Errno.EINVAL, "%s: device %s has %d PASID bits; binding needs 20", unit.name(),
                        device.name(), device.pasidBits());
            }
            int hpasid = checkHostPasid(unit, caps, data);
            if (parent.nested() || (parent.flags() & IommuHwptAllocFlags.NEST_PARENT) == 0) {
                throw IommuException.of(Errno.EINVAL,
                        "%s: domain DID %d is not a nesting parent", unit.name(), parent.tag());
            }
            if (!caps.nestedSupported()) {
                throw IommuException.of(Errno.EINVAL, "%s: no nested translation (ECAP.NEST)", unit.name());
            }
            long root = VtdUnitBringUp.ensure(unit);
            VtdDeviceTables.Context existing = VtdDeviceTables.findContext(unit, root, device.sourceId());
            if (existing != null && VtdPasidSetup.present(unit, existing, hpasid)) {
                throw IommuException.of(Errno.EBUSY, "%s: PASID %d of %s is already bound", unit.name(), hpasid,
                        device.name());
            }
            IommuHwptVtdS1 s1 = new IommuHwptVtdS1(s1Flags(data.vtdFlags()), data.gpgd(), data.addrWidth(), 0);
            VtdPasidSetup.checkNested(unit, caps, s1);
            checkGuestTable(unit, data, parent);
            VtdDomainAttach.checkPaging(unit, caps, parent);
            long[] entry = VtdPasidSetup.nestedEntry(caps, parent.tag(), s1, parent);
            VtdDeviceTables.Context context = VtdDeviceTables.ensureContext(unit, caps, root, device);
            VtdPasidSetup.install(unit, caps, context, hpasid, entry);
        });
    }

    public static void unbind(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] bindData) {
        VtdStructureLock.run(unit, () -> {
            VtdDomainAttach.checkSourceId(unit, device);
            IommuGpasidBindData data = IommuGpasidBindData.parse(bindData);
            VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
            int hpasid = checkHostPasid(unit, caps, data);
            if (!VtdUnitBringUp.rootTableLatched(unit)) {
                return;
            }
            long root = VtdUnitBringUp.ensure(unit);
            VtdDeviceTables.Context context = VtdDeviceTables.findContext(unit, root, device.sourceId());
            if (context == null || (hpasid >>> 6) >= context.entry().pasidDirectoryEntries()) {
                return;
            }
            VtdPasidEntry entry = VtdPasidSetup.presentEntry(unit, context, hpasid);
            if (entry == null) {
                return;
            }
            if (entry.pgtt() != VtdPasidEntry.PGTT_NESTED || entry.domainId() != parent.tag()) {
                throw IommuException.of(Errno.EINVAL, "%s: PASID %d of %s is not bound over domain DID %d", unit.name(),
                        hpasid, device.name(), parent.tag());
            }
            VtdPasidSetup.tearDown(unit, context, device.sourceId(), hpasid);
        });
    }

    private static int checkHostPasid(UnitContext unit, VtdUnitCapabilities caps, IommuGpasidBindData data) {
        long hpasid = data.hpasid();
        if (hpasid <= 0 || hpasid > VtdPasidEntry.MAX_PASID || hpasid >= caps.maxPasids()) {
            throw IommuException.of(Errno.EINVAL, "%s: host PASID %d outside 1..%d", unit.name(), hpasid,
                    Math.min(VtdPasidEntry.MAX_PASID + 1, caps.maxPasids()) - 1);
        }
        return (int) hpasid;
    }

    /**
     * What {@code intel_pasid_setup_nested} (5.10) and {@code intel_pasid_setup_bind_data} check beyond
     * {@link VtdPasidSetup#checkNested} (addr_width, SRE, EAFE): the guest table's address and the
     * memory-type flags.
     */
    private static void checkGuestTable(UnitContext unit, IommuGpasidBindData data, DomainDescriptor parent) {
        int width = parent.addressWidth();
        if (width < 64 && Long.compareUnsigned(data.gpgd(), (1L << width) - 1) > 0) {
            throw IommuException.of(Errno.EINVAL, "%s: guest PGD 0x%x beyond the parent's %d-bit space", unit.name(),
                    data.gpgd(), width);
        }
        long vtd = data.vtdFlags();
        if ((vtd & IommuGpasidBindData.VTD_MTS_MASK) != 0) {
            throw IommuException.of(Errno.EINVAL, "%s: memory-type flags 0x%x are not supported", unit.name(),
                    vtd & IommuGpasidBindData.VTD_MTS_MASK);
        }
    }

    /** The bind data's SRE / EAFE / WPE as {@code iommu_hwpt_vtd_s1} flags, for the shared entry composer. */
    private static long s1Flags(long vtd) {
        long f = 0;
        if ((vtd & IommuGpasidBindData.VTD_SRE) != 0) {
            f |= IommuHwptVtdS1.FLAG_SRE;
        }
        if ((vtd & IommuGpasidBindData.VTD_EAFE) != 0) {
            f |= IommuHwptVtdS1.FLAG_EAFE;
        }
        if ((vtd & IommuGpasidBindData.VTD_WPE) != 0) {
            f |= IommuHwptVtdS1.FLAG_WPE;
        }
        return f;
    }

    private VtdGuestPasidBinding() {
    }
}
