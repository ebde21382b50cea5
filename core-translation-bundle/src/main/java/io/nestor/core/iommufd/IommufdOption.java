package io.nestor.core.iommufd;

/**
 * {@code IOMMU_OPTION}'s ids and ops ({@code enum iommufd_option}, {@code enum
 * iommufd_option_ops}).
 */
public final class IommufdOption {
    /** Global: 0 = per-user pinned-memory accounting (the default), 1 = per-process. */
    public static final int RLIMIT_MODE = 0;
    /** Per IOAS: 1 = huge IOPTEs allowed (the default), 0 = host pages only. */
    public static final int HUGE_PAGES = 1;

    public static final int OP_SET = 0;
    public static final int OP_GET = 1;

    private IommufdOption() {
    }
}
