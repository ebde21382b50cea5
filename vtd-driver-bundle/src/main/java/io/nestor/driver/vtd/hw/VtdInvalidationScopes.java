package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.InvalidationScope;
import java.util.ArrayList;
import java.util.List;

/**
 * What a cache-invalidation descriptor removes, as the core's vendor-neutral
 * {@link InvalidationScope}s (VT-d spec 6.5.2.1-6.5.2.6; Nestor {@code hw-formats.md} 1.7 and 3.4).
 * Each descriptor is validated completely before a scope is built, so a refused descriptor has
 * no effect.
 *
 * <p>The mapping, and where it deliberately removes more than the descriptor names (legal: the
 * next access walks again, {@link InvalidationScope}):
 * <ul>
 *   <li>Context-cache (type 1): G=01 global and G=10 domain-selective both become
 *       {@link InvalidationScope.UnitConfig}. A scalable-mode context entry carries no DID, so a
 *       domain-selective invalidation cannot be narrowed by it; QEMU's
 *       {@code vtd_process_context_cache_desc} treats it as global too. G=11 device-selective becomes
 *       one {@link InvalidationScope.DeviceConfig} (all PASIDs) per source-id the function mask FM
 *       covers (FM=01 masks SID bit 2, FM=10 bits 2:1, FM=11 bits 2:0; VT-d spec 6.5.2.1).</li>
 *   <li>IOTLB (type 2): G=01 global becomes {@link InvalidationScope.Unit} (the API has no
 *       "every IOTLB entry of the unit" scope; the decoded configurations go too); G=10 becomes
 *       {@link InvalidationScope.Domain}, which also drops every first-stage and nested entry of the
 *       DID; G=11 page-selective becomes {@link InvalidationScope.Stage2Range} over the 2^AM pages at
 *       ADDR (aligned down to 2^(AM+12): the spec leaves a misaligned ADDR undefined, and masking its
 *       low bits is what the hardware's compare does), leaf-only with IH=1. DR/DW are drain hints
 *       without effect in a synchronous model.</li>
 *   <li>PASID-based IOTLB (type 6): G=10 becomes {@link InvalidationScope.AddressSpace} of DID and
 *       PASID, G=11 {@link InvalidationScope.AddressSpaceRange}; neither touches second-stage-only
 *       or pass-through entries. G=00 / G=01 are reserved.</li>
 *   <li>PASID-cache (type 7): G=00 domain-selective becomes {@link InvalidationScope.DomainConfig}
 *       of the DID (every PASID); G=01 PASID-selective becomes DomainConfig of the DID and PASID
 *       plus DomainConfig of the DID for requests without a PASID, because those are cached under
 *       "no PASID" while the entry they resolved to is the context's RID_PASID, which this
 *       descriptor may name; G=11 global becomes {@link InvalidationScope.UnitConfig}. G=10 is
 *       reserved.</li>
 *   <li>Device-TLB (type 3) and PASID-based device-TLB (type 8): no scope. Nestor models no
 *       endpoint ATC: an ATS device's translations are served from the unit's IOTLB, and silicon
 *       never touches its own IOTLB for a device-TLB invalidation (software must first issue the
 *       IOTLB / PASID-based IOTLB invalidation that clears it, VT-d spec 6.5.2.5 and Linux
 *       {@code cache_tag_flush_range}). So nothing the hardware would remove is left behind. The
 *       descriptors are still validated (reserved bits, ECAP.DT), and refused without ECAP.DT as
 *       QEMU refuses them.</li>
 * </ul>
 */
public final class VtdInvalidationScopes {

    private static final int PAGE_SHIFT = 12;
    private static final long ADDRESS = ~0xFFFL;
    private static final long AM = 0x3F;
    private static final long IH = 1L << 6;

    /** Type 1 qw0: bits 8:6, 15:12 and 63:50 are reserved (QEMU {@code VTD_INV_DESC_CC_RSVD}). */
    private static final long CC_RESERVED_0 = 0xFFFC_0000_0000_F1C0L;
    /** Type 2 qw0: bits 8, 15:12 and 63:32. */
    private static final long IOTLB_RESERVED_0 = 0xFFFF_FFFF_0000_F100L;
    /** Types 2 and 6 qw1: bits 11:7. */
    private static final long IOTLB_RESERVED_1 = 0xF80L;
    /** Types 6 and 7 qw0: bits 8:6, 15:12 and 63:52. */
    private static final long PASID_RESERVED_0 = 0xFFF0_0000_0000_F1C0L;
    /** Type 3 qw0: bits 8:4, 31:21 and 51:48 (PFSID in 15:12 and 63:52, MIP in 20:16, SID in 47:32). */
    private static final long DEVTLB_RESERVED_0 = 0x000F_0000_FFE0_01F0L;
    /** Type 3 qw1: bits 11:1 (S in bit 0). */
    private static final long DEVTLB_RESERVED_1 = 0xFFEL;
    /** Type 8 qw1: bits 10:1 (G in bit 0, S in bit 11). */
    private static final long PASID_DEVTLB_RESERVED_1 = 0x7FEL;

    /**
     * The scopes a cache-invalidation descriptor (types 1, 2, 3, 6, 7, 8) applies, in order.
     *
     * @throws VtdQueueErrorException when the descriptor is refused; nothing was applied
     */
    public static List<InvalidationScope> of(UnitContext unit, VtdInvalidationDescriptor d)
            throws VtdQueueErrorException {
        switch (d.type()) {
            case VtdInvalidationDescriptor.CONTEXT_CACHE:
                return contextCache(unit, d);
            case VtdInvalidationDescriptor.IOTLB:
                return iotlb(unit, d);
            case VtdInvalidationDescriptor.PASID_IOTLB:
                return pasidIotlb(unit, d);
            case VtdInvalidationDescriptor.PASID_CACHE:
                return pasidCache(unit, d);
            case VtdInvalidationDescriptor.DEVICE_TLB:
                return deviceTlb(unit, d);
            case VtdInvalidationDescriptor.PASID_DEVICE_TLB:
                return pasidDeviceTlb(unit, d);
            default:
                throw new IllegalArgumentException("not a cache-invalidation descriptor: type " + d.type());
        }
    }

    private static List<InvalidationScope> contextCache(UnitContext unit, VtdInvalidationDescriptor d)
            throws VtdQueueErrorException {
        VtdInvalidationDescriptor.requireZero(d.qw0(), CC_RESERVED_0, "context-cache invalidation qw0");
        VtdInvalidationDescriptor.requireZero(d.qw1(), -1L, "context-cache invalidation qw1");
        d.requireUpperHalfZero("context-cache invalidation");
        List<InvalidationScope> scopes = contextCache(unit, d.granularity(), (int) (d.qw0() >>> 32) & 0xFFFF,
                (int) (d.qw0() >>> 48) & 3);
        if (scopes == null) {
            throw reservedGranularity("context-cache", d.granularity());
        }
        return scopes;
    }

    /**
     * Context-cache invalidation of granularity {@code g} (01 global, 10 domain, 11 device), shared
     * by the descriptor and the register-based interface (CCMD); {@code null} for the reserved 00.
     */
    static List<InvalidationScope> contextCache(UnitContext unit, int g, int sid, int fm) {
        switch (g) {
            case 1:
            case 2:
                return List.of(new InvalidationScope.UnitConfig(unit.index()));
            case 3: {
                // FM=01 masks SID bit 2, 10 bits 2:1, 11 bits 2:0 (the function number's high bits first).
                int shift = 3 - fm;
                int masked = ((1 << fm) - 1) << shift;
                List<InvalidationScope> scopes = new ArrayList<>(1 << fm);
                for (int f = 0; f < 1 << fm; f++) {
                    scopes.add(new InvalidationScope.DeviceConfig(unit.index(), (sid & ~masked) | f << shift,
                            InvalidationScope.ANY));
                }
                return scopes;
            }
            default:
                return null;
        }
    }

    private static List<InvalidationScope> iotlb(UnitContext unit, VtdInvalidationDescriptor d)
            throws VtdQueueErrorException {
        VtdInvalidationDescriptor.requireZero(d.qw0(), IOTLB_RESERVED_0, "IOTLB invalidation qw0");
        VtdInvalidationDescriptor.requireZero(d.qw1(), IOTLB_RESERVED_1, "IOTLB invalidation qw1");
        d.requireUpperHalfZero("IOTLB invalidation");
        if (d.granularity() == 0) {
            throw reservedGranularity("IOTLB", 0);
        }
        if (d.granularity() == 3) {
            addressMask(unit, d, "IOTLB");
        }
        return iotlb(unit, d.granularity(), d.domainId(), d.qw1());
    }

    /**
     * IOTLB invalidation of granularity {@code g} (01 global, 10 domain, 11 page-selective with
     * {@code addressWord} laid out as the descriptor's qw1 and the IVA register: ADDR 63:12, IH 6,
     * AM 5:0), shared by the descriptor and the register-based interface; AM already checked.
     */
    static List<InvalidationScope> iotlb(UnitContext unit, int g, int did, long addressWord) {
        switch (g) {
            case 1:
                return List.of(new InvalidationScope.Unit(unit.index()));
            case 2:
                return List.of(new InvalidationScope.Domain(unit.index(), did));
            default: {
                long size = 1L << ((addressWord & AM) + PAGE_SHIFT);
                return List.of(new InvalidationScope.Stage2Range(unit.index(), did,
                        addressWord & ADDRESS & -size, size, (addressWord & IH) != 0));
            }
        }
    }

    /** The CAP.MAMV limit on AM. */
    static long maxAddressMask(UnitContext unit) {
        return VtdCapabilityRegister.MAMV.extract(unit.registers().read64(VtdRegisterOffsets.CAP));
    }

    private static List<InvalidationScope> pasidIotlb(UnitContext unit, VtdInvalidationDescriptor d)
            throws VtdQueueErrorException {
        VtdInvalidationDescriptor.requireZero(d.qw0(), PASID_RESERVED_0, "PASID-based IOTLB invalidation qw0");
        VtdInvalidationDescriptor.requireZero(d.qw1(), IOTLB_RESERVED_1, "PASID-based IOTLB invalidation qw1");
        d.requireUpperHalfZero("PASID-based IOTLB invalidation");
        switch (d.granularity()) {
            case 2:
                return List.of(new InvalidationScope.AddressSpace(unit.index(), d.domainId(), d.pasid()));
            case 3: {
                int am = addressMask(unit, d, "PASID-based IOTLB");
                long size = 1L << (am + PAGE_SHIFT);
                return List.of(new InvalidationScope.AddressSpaceRange(unit.index(), d.domainId(), d.pasid(),
                        d.qw1() & ADDRESS & -size, size, (d.qw1() & IH) != 0));
            }
            default:
                throw reservedGranularity("PASID-based IOTLB", d.granularity());
        }
    }

    private static List<InvalidationScope> pasidCache(UnitContext unit, VtdInvalidationDescriptor d)
            throws VtdQueueErrorException {
        VtdInvalidationDescriptor.requireZero(d.qw0(), PASID_RESERVED_0, "PASID-cache invalidation qw0");
        VtdInvalidationDescriptor.requireZero(d.qw1(), -1L, "PASID-cache invalidation qw1");
        d.requireUpperHalfZero("PASID-cache invalidation");
        switch (d.granularity()) {
            case 0:
                return List.of(new InvalidationScope.DomainConfig(unit.index(), d.domainId(), InvalidationScope.ANY));
            case 1:
                return List.of(new InvalidationScope.DomainConfig(unit.index(), d.domainId(), d.pasid()),
                        new InvalidationScope.DomainConfig(unit.index(), d.domainId(), -1));
            case 3:
                return List.of(new InvalidationScope.UnitConfig(unit.index()));
            default:
                throw reservedGranularity("PASID-cache", d.granularity());
        }
    }

    private static List<InvalidationScope> deviceTlb(UnitContext unit, VtdInvalidationDescriptor d)
            throws VtdQueueErrorException {
        requireDeviceTlb(unit, "device-TLB invalidation");
        VtdInvalidationDescriptor.requireZero(d.qw0(), DEVTLB_RESERVED_0, "device-TLB invalidation qw0");
        VtdInvalidationDescriptor.requireZero(d.qw1(), DEVTLB_RESERVED_1, "device-TLB invalidation qw1");
        d.requireUpperHalfZero("device-TLB invalidation");
        return List.of();
    }

    private static List<InvalidationScope> pasidDeviceTlb(UnitContext unit, VtdInvalidationDescriptor d)
            throws VtdQueueErrorException {
        requireDeviceTlb(unit, "PASID-based device-TLB invalidation");
        VtdInvalidationDescriptor.requireZero(d.qw1(), PASID_DEVTLB_RESERVED_1,
                "PASID-based device-TLB invalidation qw1");
        d.requireUpperHalfZero("PASID-based device-TLB invalidation");
        return List.of();
    }

    private static void requireDeviceTlb(UnitContext unit, String what) throws VtdQueueErrorException {
        long ecap = unit.registers().read64(VtdRegisterOffsets.ECAP);
        if (!VtdExtendedCapabilityRegister.DT.isSet(ecap)) {
            throw new VtdQueueErrorException(VtdQueueErrorException.INVALID_TYPE,
                    what + " on a unit without ECAP.DT");
        }
    }

    /** AM (qw1 bits 5:0), at most CAP.MAMV (QEMU refuses a larger mask the same way). */
    private static int addressMask(UnitContext unit, VtdInvalidationDescriptor d, String what)
            throws VtdQueueErrorException {
        int am = (int) (d.qw1() & AM);
        long mamv = maxAddressMask(unit);
        if (am > mamv) {
            throw new VtdQueueErrorException(VtdQueueErrorException.RESERVED_FIELD,
                    what + " invalidation address mask " + am + " above CAP.MAMV " + mamv);
        }
        return am;
    }

    private static VtdQueueErrorException reservedGranularity(String what, int g) {
        return new VtdQueueErrorException(VtdQueueErrorException.RESERVED_FIELD,
                what + " invalidation with reserved granularity " + g);
    }

    private VtdInvalidationScopes() {
    }
}
