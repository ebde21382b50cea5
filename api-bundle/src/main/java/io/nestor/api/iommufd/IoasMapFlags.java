package io.nestor.api.iommufd;

/** {@code enum iommufd_ioas_map_flags}, shared by MAP, MAP_FILE and COPY. */
public final class IoasMapFlags {
    /** Map at the caller's IOVA instead of choosing one. */
    public static final int FIXED_IOVA = 1;
    /** DMA may write. */
    public static final int WRITEABLE = 1 << 1;
    /** DMA may read. */
    public static final int READABLE = 1 << 2;

    private IoasMapFlags() {
    }
}
