package io.nestor.api.vfio;

/**
 * {@code struct vfio_iommu_type1_nesting_op} of the vSVA series: the op in the low 16 bits of
 * {@code flags} ({@code VFIO_NESTING_OP_MASK}) and the op's struct as {@code data}.
 *
 * <p>Ops 0–2 are the series'. The SMMUv3 nesting series used separate ioctls
 * ({@code VFIO_IOMMU_SET_PASID_TABLE} with SET / UNSET flags) and answered page requests through a
 * response region; this platform carries them under the same call as ops 3–5.
 *
 * @param flags the op: {@link #BIND_PGTBL}, {@link #UNBIND_PGTBL}, {@link #CACHE_INVLD},
 *     {@link #SET_PASID_TABLE}, {@link #UNSET_PASID_TABLE}, {@link #PAGE_RESP}; other bits are EINVAL
 * @param data the op's struct in the kernel's little-endian layout: {@code iommu_gpasid_bind_data}
 *     (BIND / UNBIND), {@code iommu_cache_invalidate_info} (CACHE_INVLD),
 *     {@code iommu_pasid_table_config} (SET_PASID_TABLE), nothing (UNSET_PASID_TABLE),
 *     {@code iommu_page_response} (PAGE_RESP)
 * @param device the device the op is for, by name (a device of a group in the container); empty or
 *     null applies it to every device of the container, as the series did; PAGE_RESP needs one
 */
public record VfioNestingOp(int flags, byte[] data, String device) {
    public static final int BIND_PGTBL = 0;
    public static final int UNBIND_PGTBL = 1;
    public static final int CACHE_INVLD = 2;
    public static final int SET_PASID_TABLE = 3;
    public static final int UNSET_PASID_TABLE = 4;
    public static final int PAGE_RESP = 5;

    public VfioNestingOp {
        data = data == null ? new byte[0] : data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }
}
