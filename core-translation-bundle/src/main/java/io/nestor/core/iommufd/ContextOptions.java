package io.nestor.core.iommufd;

/**
 * What a context takes from its host and its client's privileges.
 *
 * @param pageSize the host {@code PAGE_SIZE}: the unit pages are pinned in, the IOVA alignment
 *     with huge pages disabled, and the largest minimum page size a paging domain may have
 * @param hugePageSize the host {@code HPAGE_SIZE}: the cap on the alignment automatic IOVA
 *     allocation tries to keep ({@code iopt_alloc_iova} with transparent huge pages)
 * @param capSysResource whether the client holds {@code CAP_SYS_RESOURCE} (needed to set
 *     {@code IOMMU_OPTION_RLIMIT_MODE})
 * @param idLimit the largest object id ({@code xa_limit_31b}: {@code Integer.MAX_VALUE})
 * @param vfioCompat the private context of a VFIO type1 container: its devices' page requests and
 *     faults are not routed to iommufd fault queues or vEVENTQs; they reach the session as the
 *     container's events (the VFIO nesting series' fault region), answered by its PAGE_RESP op
 */
public record ContextOptions(long pageSize, long hugePageSize, boolean capSysResource, int idLimit,
        boolean vfioCompat) {

    public ContextOptions {
        if (pageSize < 4096 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size " + pageSize + " is not a power of two >= 4096");
        }
        if (hugePageSize < pageSize || Long.bitCount(hugePageSize) != 1) {
            throw new IllegalArgumentException("huge page size " + hugePageSize + " is not a power of two >= "
                    + pageSize);
        }
        if (idLimit < 1) {
            throw new IllegalArgumentException("id limit " + idLimit + " < 1");
        }
    }

    /** An x86-64 host: 4 KiB pages, 2 MiB huge pages, an unprivileged client, 31-bit ids. */
    public static ContextOptions defaults() {
        return new ContextOptions(4096, 2L << 20, false, Integer.MAX_VALUE, false);
    }

    public ContextOptions withPageSize(long size, long hugeSize) {
        return new ContextOptions(size, hugeSize, capSysResource, idLimit, vfioCompat);
    }

    public ContextOptions withCapSysResource(boolean cap) {
        return new ContextOptions(pageSize, hugePageSize, cap, idLimit, vfioCompat);
    }

    public ContextOptions withIdLimit(int limit) {
        return new ContextOptions(pageSize, hugePageSize, capSysResource, limit, vfioCompat);
    }

    public ContextOptions withVfioCompat(boolean compat) {
        return new ContextOptions(pageSize, hugePageSize, capSysResource, idLimit, compat);
    }
}
