package io.nestor.core.iommufd;

/**
 * An IOAS object ({@code struct iommufd_ioas}): an {@link IoPageTable} in a context's table.
 * HWPT_PAGING objects built on it hold a user on it, so DESTROY answers EBUSY while any exists.
 * Destroying it unmaps every area, which gives every pin back.
 */
public final class Ioas extends IommufdObject {
    private final IoPageTable table;
    /** The driver-backed HWPT_PAGINGs built on it, in creation order ({@code ioas->hwpt_list}). */
    private final java.util.List<HwptPaging> hwpts = new java.util.ArrayList<>();

    Ioas(ContextOptions options) {
        super(ObjectType.IOAS);
        this.table = new IoPageTable(options.pageSize(), options.hugePageSize());
    }

    public IoPageTable pageTable() {
        return table;
    }

    synchronized java.util.List<HwptPaging> hwpts() {
        return java.util.List.copyOf(hwpts);
    }

    synchronized void addHwpt(HwptPaging h) {
        hwpts.add(h);
    }

    synchronized void removeHwpt(HwptPaging h) {
        hwpts.remove(h);
    }

    @Override
    protected void destroy() {
        table.unmapAll();
        if (!table.domains().isEmpty()) {
            throw new IllegalStateException(this + " destroyed with domains attached " + table.domains());
        }
    }
}
