package io.nestor.api.iommufd;

/**
 * {@code struct iommu_option}.
 *
 * @param optionId {@link #RLIMIT_MODE} or {@link #HUGE_PAGES}
 * @param op {@link #OP_SET} or {@link #OP_GET}
 * @param objectId the IOAS for {@link #HUGE_PAGES}; 0 for the global {@link #RLIMIT_MODE}
 * @param val64 the value to set (ignored for a get)
 */
public record IommuOption(int optionId, int op, int objectId, long val64) {
    /** Global: 0 per-user accounting of pinned memory (the default), 1 per-process. */
    public static final int RLIMIT_MODE = 0;
    /** Per IOAS: 1 huge IOPTEs allowed (the default), 0 host pages only. */
    public static final int HUGE_PAGES = 1;
    public static final int OP_SET = 0;
    public static final int OP_GET = 1;
}
