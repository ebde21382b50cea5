package io.nestor.core.iommufd;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.IommuException;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.unit.IommuUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * An HWPT_PAGING object ({@code struct iommufd_hwpt_paging}, {@code hw_pagetable.c}): a paging
 * domain attached to one IOAS, which it mirrors. It holds a user on its IOAS for its whole life.
 *
 * <p>Creation follows {@code iommufd_hwpt_paging_alloc}: reserve the id, take the IOAS, allocate
 * the domain (the driver's {@code allocPagingDomain} and a {@link DriverPagingDomain} over its
 * root, or a core-only domain from a factory), attach it to the IOAS's page table (filling it with
 * every area), publish. Any failure aborts the object, which undoes exactly the steps done: no id,
 * no user, no domain page, no driver tag is left behind.
 *
 * <p>It also keeps what the kernel keeps beside the domain: {@code auto_domain} (created by an
 * attach to the IOAS; freed when its last device leaves; never chosen for an explicit HWPT_ALLOC),
 * {@code nest_parent}, {@code pasid_compat}, whether dirty tracking is enabled, the optional fault
 * queue, and the hardware tags of the nested domains and vIOMMUs built over it, which every flush
 * of its table must also reach.
 */
public final class HwptPaging extends Hwpt {
    private final ObjectTable table;
    private Ioas ioas;
    private PagingDomain domain;
    private boolean attached;
    private DriverRegistry registry;
    private IommuUnit unit;
    private DomainDescriptor descriptor;
    private int flags;
    private boolean autoDomain;
    private boolean dirtyTracking;
    /** Tags of nested domains / vIOMMUs over this parent; guarded by itself. */
    private final List<Integer> dependentTags = new ArrayList<>();

    private HwptPaging(ObjectTable table) {
        super(ObjectType.HWPT_PAGING);
        this.table = table;
    }

    /**
     * Creates a core-only HWPT_PAGING over IOAS {@code ioasId} with a domain from
     * {@code domainFactory} (no unit, no driver: for the IOAS's own tests).
     *
     * @return the new object's id
     * @throws IommuException ENOENT for a bad IOAS id, EBUSY when ids run out, the factory's errno,
     *     or {@link IoPageTable#addDomain}'s
     */
    public static int allocate(IommufdContext context, int ioasId, Supplier<PagingDomain> domainFactory) {
        ObjectTable table = context.objects();
        try (ObjectRef<Ioas> ref = table.get(ioasId, ObjectType.IOAS, Ioas.class)) {
            HwptPaging hwpt = new HwptPaging(table);
            table.reserve(hwpt);
            try {
                table.addUser(ref.get());
                hwpt.ioas = ref.get();
                hwpt.domain = domainFactory.get();
                hwpt.ioas.pageTable().addDomain(hwpt.domain);
                hwpt.attached = true;
            } catch (RuntimeException e) {
                table.abort(hwpt);
                throw e;
            }
            table.publish(hwpt);
            return hwpt.id();
        }
    }

    /**
     * Builds a driver-backed HWPT_PAGING on {@code ioas} for {@code unit}, reserved but not yet
     * published: the caller finishes it ({@link ObjectTable#publish}) or aborts it. On failure it has
     * aborted itself already.
     *
     * @throws IommuException the driver's errno from allocation or format, EBUSY when ids run out,
     *     ENOMEM for tables, or {@link IoPageTable#addDomain}'s
     */
    static HwptPaging build(IommufdContext context, IommufdPlatform platform, Ioas ioas, IommuUnit unit, int flags,
            boolean autoDomain) {
        ObjectTable table = context.objects();
        HwptPaging hwpt = new HwptPaging(table);
        table.reserve(hwpt);
        try {
            table.addUser(ioas);
            hwpt.ioas = ioas;
            hwpt.registry = platform.registry();
            hwpt.unit = unit;
            hwpt.flags = flags;
            hwpt.autoDomain = autoDomain;
            hwpt.descriptor = UnitDriver.call(platform.registry(), unit, d -> d.allocPagingDomain(unit, flags));
            hwpt.domain = new DriverPagingDomain(platform.registry(), unit, hwpt.descriptor, platform.tablePages(),
                    hwpt::dependentTags);
            ioas.pageTable().addDomain(hwpt.domain);
            hwpt.attached = true;
            ioas.addHwpt(hwpt);
        } catch (RuntimeException e) {
            table.abort(hwpt);
            throw e;
        }
        return hwpt;
    }

    public Ioas ioas() {
        return ioas;
    }

    public PagingDomain domain() {
        return domain;
    }

    @Override
    public IommuUnit unit() {
        return unit;
    }

    @Override
    public DomainDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public int flags() {
        return flags;
    }

    public boolean nestParent() {
        return (flags & HwptAllocFlags.NEST_PARENT) != 0;
    }

    public boolean autoDomain() {
        return autoDomain;
    }

    /** Whether the domain has dirty-tracking ops (allocated with DIRTY_TRACKING). */
    public boolean dirtyCapable() {
        return (flags & HwptAllocFlags.DIRTY_TRACKING) != 0 && domain instanceof DriverPagingDomain;
    }

    synchronized boolean dirtyTracking() {
        return dirtyTracking;
    }

    synchronized void setDirtyTracking(boolean on) {
        dirtyTracking = on;
    }

    /** The tags of what is built over this parent, for its flushes. */
    int[] dependentTags() {
        synchronized (dependentTags) {
            return dependentTags.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    void addDependentTag(int tag) {
        synchronized (dependentTags) {
            dependentTags.add(tag);
        }
    }

    void removeDependentTag(int tag) {
        synchronized (dependentTags) {
            dependentTags.remove(Integer.valueOf(tag));
        }
    }

    @Override
    protected void destroy() {
        if (ioas != null) {
            ioas.removeHwpt(this);
        }
        if (attached) {
            ioas.pageTable().removeDomain(domain);
            attached = false;
        }
        if (domain != null) {
            domain.free(); // a driver-backed domain also has the driver free root and tag
            domain = null;
        } else if (descriptor != null && unit != null) {
            DomainDescriptor d = descriptor;
            DriverCleanup.run(registry, unit, "free of domain tag " + d.tag(), drv -> drv.freeDomain(unit, d));
        }
        descriptor = null;
        releaseFault(table);
        if (ioas != null) {
            table.dropUser(ioas);
            ioas = null;
        }
    }

    @Override
    public String toString() {
        return super.toString() + (autoDomain ? "(auto)" : "");
    }
}
