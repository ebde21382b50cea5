package io.nestor.core.iommufd;

/**
 * {@code enum iommufd_ioas_map_flags} ({@code include/uapi/linux/iommufd.h}), shared by MAP,
 * MAP_FILE and COPY.
 */
public final class IoasMapFlags {
    /** Use the caller's IOVA instead of choosing one. */
    public static final int FIXED_IOVA = 1;
    /** DMA may write. */
    public static final int WRITEABLE = 1 << 1;
    /** DMA may read. */
    public static final int READABLE = 1 << 2;
    /** Every flag the commands know. */
    public static final int ALL = FIXED_IOVA | WRITEABLE | READABLE;

    private IoasMapFlags() {
    }
}
