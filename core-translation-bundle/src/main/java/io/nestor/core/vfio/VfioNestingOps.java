package io.nestor.core.vfio;

/**
 * {@code VFIO_IOMMU_NESTING_OP} ops (the vSVA series, v7: the op in the low 16 bits of
 * {@code flags}, {@code VFIO_NESTING_OP_MASK}) and {@code VFIO_IOMMU_PASID_REQUEST} flags.
 *
 * <p>Ops 0–2 are the series'. The SMMUv3 series had separate ioctls ({@code
 * VFIO_IOMMU_SET_PASID_TABLE} with SET / UNSET flags) and answered page requests through a response
 * region; this platform carries those three under the same ioctl as ops 3–5, as its gateway's
 * {@code NestingOp} RPC does.
 */
public final class VfioNestingOps {
    public static final int OP_MASK = 0xffff;

    public static final int BIND_PGTBL = 0;
    public static final int UNBIND_PGTBL = 1;
    public static final int CACHE_INVLD = 2;
    public static final int SET_PASID_TABLE = 3;
    public static final int UNSET_PASID_TABLE = 4;
    public static final int PAGE_RESP = 5;

    /** {@code VFIO_IOMMU_FLAG_ALLOC_PASID}. */
    public static final int PASID_ALLOC = 1;
    /** {@code VFIO_IOMMU_FLAG_FREE_PASID}. */
    public static final int PASID_FREE = 1 << 1;
    public static final int PASID_REQUEST_MASK = PASID_ALLOC | PASID_FREE;

    private VfioNestingOps() {
    }
}
