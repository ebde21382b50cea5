package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * What a VT-d nested domain's {@link DomainDescriptor#vendorData()} holds: Linux keeps the same in
 * {@code dmar_domain->s1_cfg} and {@code ->s2_domain}. 48 bytes, little-endian:
 * <pre>
 *   0  struct iommu_hwpt_vtd_s1 (24 bytes) as the user gave it
 *  24  u32 parent DID
 *  28  u32 parent address width (its gaw)
 *  32  u64 parent second-stage root
 *  40  u32 parent IOMMU_HWPT_ALLOC_* flags
 *  44  u32 zero
 * </pre>
 *
 * @param s1 the user's stage-1 configuration
 * @param parent the nest parent, as far as attach needs it (its vendor data is not kept)
 */
public record VtdNestedDomainData(IommuHwptVtdS1 s1, DomainDescriptor parent) {

    public static final int SIZE = 48;

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(s1.encode());
        b.putInt(24, parent.tag()).putInt(28, parent.addressWidth()).putLong(32, parent.rootAddress())
                .putInt(40, parent.flags());
        return b.array();
    }

    public static VtdNestedDomainData of(DomainDescriptor nested) {
        byte[] data = nested.vendorData();
        if (!nested.nested() || data.length != SIZE) {
            throw IommuException.of(Errno.EINVAL, "domain DID %d is not a VT-d nested domain", nested.tag());
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        IommuHwptVtdS1 s1 = IommuHwptVtdS1.parse(Arrays.copyOf(data, IommuHwptVtdS1.SIZE));
        DomainDescriptor parent = new DomainDescriptor(false, b.getInt(24), b.getLong(32), b.getInt(28),
                b.getInt(40), new byte[0]);
        return new VtdNestedDomainData(s1, parent);
    }
}
