package io.nestor.api.error;

/**
 * The subset of Linux errno values that the iommufd and VFIO uAPIs return, with their numbers on
 * x86-64 / arm64 Linux ({@code include/uapi/asm-generic/errno-base.h} and {@code errno.h}).
 *
 * <p>The numbers matter: a VMM that compares against its own {@code errno} constants must see the
 * same value the kernel would have returned.
 */
public enum Errno {
    EPERM(1),
    ENOENT(2),
    EINTR(4),
    EIO(5),
    ENXIO(6),
    E2BIG(7),
    /** A bad file descriptor: {@code IOMMU_IOAS_MAP_FILE} naming no memory region. */
    EBADF(9),
    EAGAIN(11),
    ENOMEM(12),
    EACCES(13),
    EFAULT(14),
    EBUSY(16),
    EEXIST(17),
    ENODEV(19),
    EINVAL(22),
    ENOSPC(28),
    // ESPIPE: read or write of an iommufd event fd at a size that is not a whole number of records.
    ESPIPE(29),
    ENOTTY(25),
    ERANGE(34),
    EOVERFLOW(75),
    /** The reply does not fit: {@code IOMMU_IOAS_IOVA_RANGES} with fewer slots than ranges. */
    EMSGSIZE(90),
    EOPNOTSUPP(95),
    EADDRINUSE(98),
    ETIMEDOUT(110);

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    /** The positive errno number, as {@code errno} holds it after a failed ioctl. */
    public int number() {
        return number;
    }

    /** Looks an errno up by its number; {@code null} if it is not one this platform uses. */
    public static Errno ofNumber(int number) {
        for (Errno e : values()) {
            if (e.number == number) {
                return e;
            }
        }
        return null;
    }
}
