package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.smmuv3.hw.Smmuv3Ste;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.Lock;

/**
 * {@code VFIO_IOMMU_SET_PASID_TABLE} / {@code UNSET} of Eric Auger's SMMUv3 nested-stage series
 * (never merged; kernel-uapi.md §2.4 g; {@code arm_smmu_attach_pasid_table} /
 * {@code arm_smmu_detach_pasid_table}): the guest's whole CD table is installed under a nest-parent
 * stage-2 domain by writing the device's STE with Config = nested, S1ContextPtr the table's guest
 * physical address.
 *
 * <p>{@code struct iommu_pasid_table_config}, as in the series' last versions (with {@code argsz}
 * and the padding that keeps {@code base_ptr} 8-byte aligned), 40 bytes little-endian:
 * <pre>
 *   0 u32 argsz   4 u32 version (1)   8 u32 format (1 = SMMUv3)   12 u32 padding
 *  16 u64 base_ptr (guest CD table GPA)   24 u8 pasid_bits   25 u8 config (1 translate, 2 bypass, 3 abort)
 *  26 u8 padding[6]
 *  32 struct iommu_pasid_smmuv3 { u32 version (1); u8 s1fmt; u8 s1dss; u8 padding[2]; }
 * </pre>
 *
 * <p>Checks, all before the STE changes (EINVAL unless noted): argsz below 40 or beyond the data;
 * version; format; no nesting on the unit (EOPNOTSUPP); the parent not a nest parent; a hardware MSI
 * region; an unknown config. For TRANSLATE: the device already translating through a guest table
 * (the series does not support stage-1 to stage-1 transitions: unset first); the vendor version;
 * pasid_bits above IDR1.SSIDSIZE; s1fmt above 2, or 2-level without IDR0.CD2L; s1dss above 2;
 * base_ptr not 64-byte aligned or beyond 52 bits.
 *
 * <p>The nested STE: the parent's stage-2 fields and VMID, S1Fmt / S1ContextPtr / S1CDMax (=
 * pasid_bits) / S1DSS from the config, CD and stage-1 walks inner-shareable write-back
 * (S1CIR = S1COR = WBRA, S1CSH = ISH, as the series writes them), MEV. BYPASS installs the parent's
 * stage-2 STE, ABORT an aborting one; UNSET goes back to the parent's stage-2 STE.
 */
final class Smmuv3PasidTableBinding {

    static final int STRUCT_SIZE = 40;
    static final int CONFIG_TRANSLATE = 1;
    static final int CONFIG_BYPASS = 2;
    static final int CONFIG_ABORT = 3;
    static final int FORMAT_SMMUV3 = 1;
    private static final int CACHE_WBRA = 1;
    private static final int SH_ISH = 3;

    static void set(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] config) {
        if (config == null || config.length < 4) {
            throw IommuException.of(Errno.EINVAL, "iommu_pasid_table_config of %d bytes has no argsz",
                    config == null ? 0 : config.length);
        }
        ByteBuffer b = ByteBuffer.wrap(config).order(ByteOrder.LITTLE_ENDIAN);
        long argsz = Integer.toUnsignedLong(b.getInt(0));
        if (argsz < STRUCT_SIZE || argsz > config.length) {
            throw IommuException.of(Errno.EINVAL, "argsz %d: need %d..%d", argsz, STRUCT_SIZE, config.length);
        }
        int version = b.getInt(4);
        if (version != 1) {
            throw IommuException.of(Errno.EINVAL, "iommu_pasid_table_config version %d is not 1", version);
        }
        int format = b.getInt(8);
        if (format != FORMAT_SMMUV3) {
            throw IommuException.of(Errno.EINVAL, "PASID table format %d is not IOMMU_PASID_FORMAT_SMMUV3", format);
        }
        Smmuv3NestedDomains.checkNestingAllowed(unit, parent);
        long basePtr = b.getLong(16);
        int pasidBits = Byte.toUnsignedInt(b.get(24));
        int cfg = Byte.toUnsignedInt(b.get(25));
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            install(unit, device, parent, b, cfg, basePtr, pasidBits);
        } finally {
            lock.unlock();
        }
    }

    private static void install(UnitContext unit, DeviceInfo device, DomainDescriptor parent, ByteBuffer b, int cfg,
            long basePtr, int pasidBits) {
        long[] target;
        switch (cfg) {
            case CONFIG_TRANSLATE:
                target = translateSte(unit, device, parent, b, basePtr, pasidBits);
                break;
            case CONFIG_BYPASS:
                Smmuv3DeviceReset.ensureUp(unit);
                target = Smmuv3DeviceAttach.pagingSte(unit, device, parent);
                break;
            case CONFIG_ABORT:
                Smmuv3DeviceReset.ensureUp(unit);
                target = Smmuv3SteEncoder.abort();
                break;
            default:
                throw IommuException.of(Errno.EINVAL, "PASID table config %d is not translate (1), bypass (2) or abort (3)",
                        cfg);
        }
        Smmuv3DeviceAttach.install(unit, device, target);
    }

    static void unset(UnitContext unit, DeviceInfo device, DomainDescriptor parent) {
        Smmuv3NestedDomains.checkNestingAllowed(unit, parent);
        Smmuv3DeviceReset.ensureUp(unit);
        Smmuv3DeviceAttach.install(unit, device, Smmuv3DeviceAttach.pagingSte(unit, device, parent));
    }

    private static long[] translateSte(UnitContext unit, DeviceInfo device, DomainDescriptor parent, ByteBuffer b,
            long basePtr, int pasidBits) {
        int vendorVersion = b.getInt(32);
        int s1fmt = Byte.toUnsignedInt(b.get(36));
        int s1dss = Byte.toUnsignedInt(b.get(37));
        if (vendorVersion != 1) {
            throw IommuException.of(Errno.EINVAL, "iommu_pasid_smmuv3 version %d is not 1", vendorVersion);
        }
        int ssidBits = Smmuv3UnitCapabilities.ssidBits(unit);
        if (pasidBits > ssidBits) {
            throw IommuException.of(Errno.EINVAL, "pasid_bits %d exceeds the SMMU's SubstreamID width %d", pasidBits,
                    ssidBits);
        }
        if (s1fmt > Smmuv3Ste.S1FMT_64K_L2
                || (s1fmt != Smmuv3Ste.S1FMT_LINEAR && !Smmuv3UnitCapabilities.twoLevelCdTables(unit))) {
            throw IommuException.of(Errno.EINVAL, "s1fmt %d is not a CD table format this SMMU supports", s1fmt);
        }
        if (s1dss > Smmuv3Ste.S1DSS_SSID0) {
            throw IommuException.of(Errno.EINVAL, "s1dss %d is reserved", s1dss);
        }
        if ((basePtr & 0x3F) != 0 || basePtr >>> 52 != 0) {
            throw IommuException.of(Errno.EINVAL, "base_ptr 0x%x is not a 64-byte aligned 52-bit address", basePtr);
        }
        Smmuv3DeviceReset.ensureUp(unit);
        long[] words = Smmuv3SteWriter.read(unit, device.sourceId());
        Smmuv3Ste current = new Smmuv3Ste(words[0], words[1], words[2], words[3]);
        if (current.valid() && current.config() == Smmuv3Ste.CONFIG_NESTED) {
            throw IommuException.of(Errno.EINVAL, "%s: %s already translates through a guest CD table at 0x%x; unset it first",
                    unit.name(), device.name(), current.s1ContextPtr());
        }
        long guest0 = Smmuv3Ste.V.insert(0, true) | Smmuv3Ste.CONFIG.insert(0, Smmuv3Ste.CONFIG_S1_TRANS)
                | Smmuv3Ste.S1FMT.insert(0, s1fmt) | Smmuv3Ste.S1_CONTEXT_PTR.insert(0, basePtr >>> 6)
                | Smmuv3Ste.S1CDMAX.insert(0, pasidBits);
        long guest1 = Smmuv3Ste.S1DSS.insert(0, s1dss) | Smmuv3SteEncoder.S1CIR.insert(0, CACHE_WBRA)
                | Smmuv3SteEncoder.S1COR.insert(0, CACHE_WBRA) | Smmuv3SteEncoder.S1CSH.insert(0, SH_ISH);
        Smmuv3Stage2Layout layout = Smmuv3PagingDomains.layout(unit, parent);
        long[] s2 = Smmuv3SteEncoder.stage2(layout, parent.tag(), parent.rootAddress(),
                Smmuv3DeviceAttach.atsSupported(unit, device));
        return Smmuv3SteEncoder.nested(s2, guest0, guest1);
    }

    private Smmuv3PasidTableBinding() {
    }
}
