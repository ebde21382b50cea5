package io.nestor.core.iommufd;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;

/**
 * A context's "VFIO compat IOAS" ({@code ictx->vfio_ioas}) and the {@code IOMMU_VFIO_IOAS} ioctl
 * on it ({@code iommufd_vfio_ioas}, {@code drivers/iommu/iommufd/vfio_compat.c}): the IOAS the
 * legacy VFIO container ioctls act on.
 *
 * <p>The pointer is weak, as in the kernel: SET takes a user on the IOAS only for the lookup and
 * drops it again, so the compat IOAS never makes DESTROY of it answer EBUSY. Destroying it forgets
 * it ({@code iommufd_object_remove} clears {@code vfio_ioas}); here GET finds the object no longer
 * published in the table and answers as if it had been cleared. The object is compared by identity,
 * not by id, so a later object that happens to reuse the id is never taken for it.
 *
 * <p>Thread-safe: the pointer is guarded by this object's lock.
 */
public final class VfioCompatIoas {
    /** {@code IOMMU_VFIO_IOAS_GET}: report the compat IOAS's id. */
    public static final int OP_GET = 0;
    /** {@code IOMMU_VFIO_IOAS_SET}: make {@code ioas_id} the compat IOAS. */
    public static final int OP_SET = 1;
    /** {@code IOMMU_VFIO_IOAS_CLEAR}: forget the compat IOAS (the IOAS itself stays). */
    public static final int OP_CLEAR = 2;

    private final ObjectTable objects;
    private Ioas current;

    VfioCompatIoas(ObjectTable objects) {
        this.objects = objects;
    }

    /**
     * IOMMU_VFIO_IOAS. Checks in the kernel's order: {@code __reserved}, then the op.
     *
     * @param op {@code op} (u16 in the kernel)
     * @param reserved {@code __reserved}
     * @param ioasId {@code ioas_id}; read by SET only
     * @return {@code ioas_id} as the ioctl leaves it: the compat IOAS's id for GET; SET and CLEAR do
     *     not write the struct back, so the caller's value
     * @throws IommuException EOPNOTSUPP for a non-zero {@code __reserved} or an unknown op; ENODEV
     *     for GET with no compat IOAS ({@code get_compat_ioas}); ENOENT for SET of an id that is not
     *     an IOAS of the context
     */
    public int execute(int op, int reserved, int ioasId) {
        if (reserved != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "vfio_ioas __reserved 0x%x is not zero", reserved);
        }
        switch (op) {
            case OP_GET:
                return get();
            case OP_SET:
                set(ioasId);
                return ioasId;
            case OP_CLEAR:
                synchronized (this) {
                    current = null;
                }
                return ioasId;
            default:
                throw IommuException.of(Errno.EOPNOTSUPP, "unknown vfio_ioas op %d", Integer.toUnsignedLong(op));
        }
    }

    private int get() {
        Ioas ioas;
        synchronized (this) {
            ioas = current;
        }
        // get_compat_ioas: a destroyed IOAS fails iommufd_lock_obj, hence ENODEV like no pointer
        if (ioas == null || !objects.isPublished(ioas)) {
            throw IommuException.of(Errno.ENODEV, "this iommufd context has no VFIO compat IOAS");
        }
        return ioas.id();
    }

    private void set(int ioasId) {
        // iommufd_get_ioas: ENOENT for a free id or an object of another kind; the user is dropped
        // again at once, the compat pointer holding none
        try (ObjectRef<Ioas> ref = objects.get(ioasId, ObjectType.IOAS, Ioas.class)) {
            synchronized (this) {
                current = ref.get();
            }
        }
    }
}
