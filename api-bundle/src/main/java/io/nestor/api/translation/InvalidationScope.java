package io.nestor.api.translation;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;

/**
 * What one invalidation removes, in vendor-neutral terms: drivers reduce VT-d invalidation
 * descriptors and SMMUv3 commands to these (hw-formats §1.7, §2.5, §3.4) and the core applies them
 * to every cache of the unit (through {@code UnitContext.invalidate}).
 *
 * <p>Every scope but {@link All} names its unit: hardware invalidations never cross units. Tags
 * are validated on construction with {@link Errno#EINVAL} naming the bad value, since they come
 * from guest-written descriptors. A scope may remove more than it must (over-invalidation is
 * legal, the next access walks again); it never removes less.
 */
public sealed interface InvalidationScope {

    /** Wildcard for an address-space tag or a PASID: every one. */
    int ANY = Integer.MIN_VALUE;

    /** The largest unit index (a unit's position in the topology). */
    int MAX_UNIT = 0xFFFF;
    /** The largest domain tag: VT-d DIDs and SMMU VMIDs are at most 16 bits. */
    int MAX_DOMAIN_TAG = 0xFFFF;
    /** The largest address-space tag: PASIDs are 20 bits (VT-d, PCIe); SMMU ASIDs (16 bits) fit below. */
    int MAX_ADDRESS_SPACE_TAG = (1 << 20) - 1;
    /** The address-space tag of entries not tagged by a PASID / ASID. */
    int UNTAGGED = -1;

    /** The unit whose caches the scope names; {@code -1} for {@link All}. */
    int unit();

    /** Every cache of every unit (platform reset). */
    record All() implements InvalidationScope {
        @Override
        public int unit() {
            return -1;
        }
    }

    /**
     * Everything one unit caches: IOTLB, walk caches and configurations. VT-d global IOTLB plus
     * context-cache invalidation; SMMUv3 CMD_CFGI_ALL with CMD_TLBI_NSNH_ALL.
     */
    record Unit(int unit) implements InvalidationScope {
        public Unit {
            checkUnit(unit);
        }
    }

    /**
     * Every translation tagged with a domain tag, of every kind and address space, and every walk
     * cache entry of both stages for it. VT-d domain-selective IOTLB invalidation (type 2, G=10);
     * SMMUv3 CMD_TLBI_S12_VMALL.
     */
    record Domain(int unit, int domainTag) implements InvalidationScope {
        public Domain {
            checkUnit(unit);
            checkDomain(domainTag);
        }
    }

    /**
     * The stage-1-derived translations (stage 1 alone and nested) and
     * stage-1 walk caches of one address space of a domain, or of all of them with {@link #ANY}.
     * Stage-2-only and pass-through entries stay. VT-d PASID-based IOTLB invalidation (type 6,
     * G=10); SMMUv3 CMD_TLBI_NH_ASID (one ASID) and CMD_TLBI_NH_ALL ({@link #ANY}).
     */
    record AddressSpace(int unit, int domainTag, int addressSpaceTag) implements InvalidationScope {
        public AddressSpace {
            checkUnit(unit);
            checkDomain(domainTag);
            checkAddressSpace(addressSpaceTag);
        }
    }

    /**
     * {@link AddressSpace} restricted to the input range {@code [address, address + size)}: every
     * entry whose page overlaps it goes, whatever its page size. With {@code leafOnly} (VT-d IH=1,
     * SMMU Leaf=1) only leaf entries changed, so walk-cache entries may stay. VT-d type 6 G=11;
     * SMMUv3 CMD_TLBI_NH_VA (one ASID) and CMD_TLBI_NH_VAA ({@link #ANY}).
     */
    record AddressSpaceRange(int unit, int domainTag, int addressSpaceTag, long address, long size,
            boolean leafOnly) implements InvalidationScope {
        public AddressSpaceRange {
            checkUnit(unit);
            checkDomain(domainTag);
            checkAddressSpace(addressSpaceTag);
            checkRange(address, size);
        }

        /** The last input address covered (unsigned). */
        public long last() {
            return address + size - 1;
        }
    }

    /**
     * A range of a domain's stage-2 input (IPA) space changed. Removes the stage-2-only entries
     * overlapping it, the stage-2 walk-cache entries overlapping it (unless {@code leafOnly}), and,
     * because a combined entry is keyed by its IOVA and its IPA is not recorded, <b>every</b>
     * stage-1-derived entry and every stage-1 walk-cache entry of the domain tag (in a nested
     * configuration those hold stage-2-translated table addresses, whatever the leaf hint). This
     * is what VT-d requires of a type-2 invalidation (G=11, "all first-stage and nested entries of
     * that DID") and more than SMMUv3 CMD_TLBI_S2_IPA requires (Linux follows it with NH_ALL anyway).
     */
    record Stage2Range(int unit, int domainTag, long address, long size, boolean leafOnly)
            implements InvalidationScope {
        public Stage2Range {
            checkUnit(unit);
            checkDomain(domainTag);
            checkRange(address, size);
        }

        public long last() {
            return address + size - 1;
        }
    }

    /**
     * Decoded configurations of one device: all of its PASIDs, or one with {@code pasid}
     * ({@code -1} = requests without a PASID). VT-d device-selective context-cache invalidation
     * (type 1, G=11); SMMUv3 CMD_CFGI_STE and CMD_CFGI_CD / CMD_CFGI_CD_ALL.
     */
    record DeviceConfig(int unit, int sourceId, int pasid) implements InvalidationScope {
        public DeviceConfig {
            checkUnit(unit);
            if (sourceId < 0) {
                throw IommuException.of(Errno.EINVAL, "source id %d is negative", sourceId);
            }
            checkPasid(pasid);
        }
    }

    /**
     * Decoded configurations that tag their translations with a domain tag: all, or those for
     * requests with one PASID. VT-d domain-selective context-cache invalidation (type 1, G=10) and
     * PASID-cache invalidation (type 7, G=00 domain-selective, G=01 PASID-selective).
     */
    record DomainConfig(int unit, int domainTag, int pasid) implements InvalidationScope {
        public DomainConfig {
            checkUnit(unit);
            checkDomain(domainTag);
            checkPasid(pasid);
        }
    }

    /**
     * Every decoded configuration of the unit, and nothing else: the unit's driver is leaving, and
     * its configurations hold its objects. The IOTLB and walk caches (numbers only) stay.
     */
    record UnitConfig(int unit) implements InvalidationScope {
        public UnitConfig {
            checkUnit(unit);
        }
    }

    private static void checkUnit(int unit) {
        if (unit < 0 || unit > MAX_UNIT) {
            throw IommuException.of(Errno.EINVAL, "unit index %d outside 0..%d", unit, MAX_UNIT);
        }
    }

    private static void checkDomain(int domainTag) {
        if (domainTag < 0 || domainTag > MAX_DOMAIN_TAG) {
            throw IommuException.of(Errno.EINVAL, "domain tag %d outside 0..%d", domainTag,
                    MAX_DOMAIN_TAG);
        }
    }

    private static void checkAddressSpace(int tag) {
        if (tag != ANY && (tag < UNTAGGED || tag > MAX_ADDRESS_SPACE_TAG)) {
            throw IommuException.of(Errno.EINVAL, "address-space tag %d outside -1..%d", tag,
                    MAX_ADDRESS_SPACE_TAG);
        }
    }

    private static void checkPasid(int pasid) {
        if (pasid != ANY && (pasid < -1 || pasid > MAX_ADDRESS_SPACE_TAG)) {
            throw IommuException.of(Errno.EINVAL, "PASID %d outside -1..%d", pasid,
                    MAX_ADDRESS_SPACE_TAG);
        }
    }

    private static void checkRange(long address, long size) {
        if (size == 0) {
            throw IommuException.of(Errno.EINVAL, "empty invalidation range at 0x%x", address);
        }
        if (Long.compareUnsigned(address + size - 1, address) < 0) {
            throw IommuException.of(Errno.EINVAL, "invalidation range 0x%x + 0x%x wraps past 2^64",
                    address, size);
        }
    }
}
