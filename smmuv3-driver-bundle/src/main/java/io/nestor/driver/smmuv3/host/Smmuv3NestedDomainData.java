package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The vendor data of an SMMUv3 nested domain, kept by the core in
 * {@link DomainDescriptor#vendorData()}: what Linux keeps in {@code struct arm_smmu_nested_domain}.
 * Little-endian, 33 bytes:
 * <pre>
 *   0  le64 ste[2]      the validated guest STE words 0 and 1, EATS cleared
 *  16  u8   enable_ats  the guest asked for ATS (Config = S1 translate with EATS = 1)
 *  17  u32  parent_tag  the parent paging domain's VMID
 *  21  u32  parent_flags the parent's IOMMU_HWPT_ALLOC_* flags (its stage-2 layout)
 *  25  le64 parent_root the parent's stage-2 root (S2TTB)
 * </pre>
 * The nested domain's own tag is the VMID its STEs carry: the vIOMMU's, or the parent's for a
 * nested domain allocated directly over a paging domain.
 */
record Smmuv3NestedDomainData(long ste0, long ste1, boolean enableAts, int parentTag, int parentFlags,
        long parentRoot) {

    static final int SIZE = 33;

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(ste0).putLong(ste1).put((byte) (enableAts ? 1 : 0)).putInt(parentTag).putInt(parentFlags)
                .putLong(parentRoot);
        return b.array();
    }

    static Smmuv3NestedDomainData of(DomainDescriptor domain) {
        byte[] data = domain.vendorData();
        if (!domain.nested() || data.length != SIZE) {
            throw IommuException.of(Errno.EINVAL, "domain with tag %d is not an SMMUv3 nested domain (%d bytes of vendor data)",
                    domain.tag(), data.length);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        return new Smmuv3NestedDomainData(b.getLong(), b.getLong(), b.get() != 0, b.getInt(), b.getInt(), b.getLong());
    }

    /** The parent paging domain as far as attach needs it (tag, root, flags). */
    DomainDescriptor parent(int addressWidth) {
        return new DomainDescriptor(false, parentTag, parentRoot, addressWidth, parentFlags, new byte[0]);
    }
}
