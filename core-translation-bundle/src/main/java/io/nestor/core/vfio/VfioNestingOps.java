package io.nestor.core.vfio;

import io.nestor.api.vfio.VfioNestingOp;

/**
 * {@code VFIO_IOMMU_NESTING_OP} decoding (the vSVA series, v7: the op in the low 16 bits of
 * {@code flags}, {@code VFIO_NESTING_OP_MASK}) and {@code VFIO_IOMMU_PASID_REQUEST} flags.
 *
 * <p>The op numbers, and why ops 3–5 exist, are the API's ({@link VfioNestingOp}); they are
 * repeated here as aliases so that core code can switch on them.
 */
public final class VfioNestingOps {
    public static final int OP_MASK = 0xffff;

    public static final int BIND_PGTBL = VfioNestingOp.BIND_PGTBL;
    public static final int UNBIND_PGTBL = VfioNestingOp.UNBIND_PGTBL;
    public static final int CACHE_INVLD = VfioNestingOp.CACHE_INVLD;
    public static final int SET_PASID_TABLE = VfioNestingOp.SET_PASID_TABLE;
    public static final int UNSET_PASID_TABLE = VfioNestingOp.UNSET_PASID_TABLE;
    public static final int PAGE_RESP = VfioNestingOp.PAGE_RESP;

    /** {@code VFIO_IOMMU_FLAG_ALLOC_PASID}. */
    public static final int PASID_ALLOC = 1;
    /** {@code VFIO_IOMMU_FLAG_FREE_PASID}. */
    public static final int PASID_FREE = 1 << 1;
    public static final int PASID_REQUEST_MASK = PASID_ALLOC | PASID_FREE;

    private VfioNestingOps() {
    }
}
