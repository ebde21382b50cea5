package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.smmuv3.hw.Smmuv3Ste;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * Attaching a device's StreamID (requests without SubstreamID) to a domain by writing its STE
 * (Linux {@code arm_smmu_attach_dev}, {@code arm_smmu_attach_dev_nested},
 * {@code arm_smmu_attach_dev_blocked}); the SMMU is brought up first if it is not.
 *
 * <ul>
 * <li>paging domain: a stage-2 STE with its VMID and root ({@link Smmuv3SteEncoder#stage2});</li>
 * <li>nested domain, guest Config = stage-1 translate: Config = nested, S1 fields from the guest STE
 *     (S1ContextPtr a guest IPA), S2 fields from the parent, VMID the nested domain's;</li>
 * <li>nested domain, guest bypass: the parent's stage-2 STE with the nested domain's VMID;</li>
 * <li>nested domain, guest abort or invalid: an aborting STE;</li>
 * <li>detach: an aborting STE (the blocked domain).</li>
 * </ul>
 * EATS = full ATS when the device has ATS, the SMMU has IDR0.ATS and, for a nested domain, the
 * guest enabled it (Linux {@code arm_smmu_ats_supported}, {@code disable_ats}). When ATS becomes
 * enabled, the device's ATC is invalidated entirely after the STE is installed and before the
 * device may use ATS (Linux {@code arm_smmu_enable_ats}: CMD_ATC_INV with Size 52 and CMD_SYNC).
 */
final class Smmuv3DeviceAttach {

    static void attach(UnitContext unit, DeviceInfo device, DomainDescriptor domain) {
        if (domain == null) {
            throw IommuException.of(Errno.EINVAL, "%s: no domain to attach %s to", unit.name(), device.name());
        }
        Smmuv3DeviceReset.ensureUp(unit);
        long[] target = domain.nested() ? nestedSte(unit, device, domain) : pagingSte(unit, device, domain);
        install(unit, device, target);
    }

    static void detach(UnitContext unit, DeviceInfo device, int pasid) {
        if (pasid != DeviceInfo.NO_PASID) {
            return; // no PASID is ever attached by this driver: detaching one is the kernel's silent no-op
        }
        Smmuv3DeviceReset.ensureUp(unit);
        install(unit, device, Smmuv3SteEncoder.abort());
    }

    static long[] pagingSte(UnitContext unit, DeviceInfo device, DomainDescriptor domain) {
        Smmuv3Stage2Layout layout = Smmuv3PagingDomains.layout(unit, domain);
        return Smmuv3SteEncoder.stage2(layout, domain.tag(), domain.rootAddress(), atsSupported(unit, device));
    }

    static long[] nestedSte(UnitContext unit, DeviceInfo device, DomainDescriptor domain) {
        Smmuv3NestedDomainData data = Smmuv3NestedDomainData.of(domain);
        DomainDescriptor parent = data.parent(domain.addressWidth());
        Smmuv3Stage2Layout layout = Smmuv3PagingDomains.layout(unit, parent);
        Smmuv3VirtualSte vste = new Smmuv3VirtualSte(data.ste0(), data.ste1(), data.enableAts());
        switch (vste.config()) {
            case Smmuv3Ste.CONFIG_S1_TRANS: {
                boolean ats = data.enableAts() && atsSupported(unit, device);
                long[] s2 = Smmuv3SteEncoder.stage2(layout, domain.tag(), parent.rootAddress(), ats);
                return Smmuv3SteEncoder.nested(s2, data.ste0(), data.ste1());
            }
            case Smmuv3Ste.CONFIG_BYPASS:
                return Smmuv3SteEncoder.stage2(layout, domain.tag(), parent.rootAddress(), false);
            default:
                return Smmuv3SteEncoder.abort();
        }
    }

    /** Installs {@code target} for the device's StreamID, under the register lock throughout. */
    static void install(UnitContext unit, DeviceInfo device, long[] target) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            long[] current = Smmuv3SteWriter.read(unit, device.sourceId());
            boolean atsBefore = atsEnabled(current);
            boolean atsAfter = atsEnabled(target);
            Smmuv3SteWriter.install(unit, device.sourceId(), target);
            if (atsAfter && !atsBefore) {
                Smmuv3CommandSubmission.issueWithSync(unit, List.of(
                        Smmuv3CommandBuilder.atcInv(device.sourceId(), -1, 0, Smmuv3CommandBuilder.ATC_INV_SIZE_ALL)));
            }
        } finally {
            lock.unlock();
        }
    }

    private static boolean atsEnabled(long[] ste) {
        return Smmuv3Ste.V.isSet(ste[0]) && Smmuv3SteEncoder.EATS.extract(ste[1]) == Smmuv3SteEncoder.EATS_TRANS;
    }

    static boolean atsSupported(UnitContext unit, DeviceInfo device) {
        return device.ats() && Smmuv3UnitCapabilities.ats(unit);
    }

    private Smmuv3DeviceAttach() {
    }
}
