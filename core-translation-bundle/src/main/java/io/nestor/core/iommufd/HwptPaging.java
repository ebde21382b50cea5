package io.nestor.core.iommufd;

import io.nestor.api.error.IommuException;
import java.util.function.Supplier;

/**
 * An HWPT_PAGING object ({@code struct iommufd_hwpt_paging}, {@code hw_pagetable.c}): a paging
 * domain attached to one IOAS, which it mirrors. It holds a user on its IOAS for its whole life.
 *
 * <p>Creation ({@link #allocate}) follows {@code iommufd_hwpt_paging_alloc}: reserve the id, take
 * the IOAS, allocate the domain, attach it to the IOAS's page table (filling it with every area),
 * publish. Any failure aborts the object, which undoes exactly the steps done: no id, no user, no
 * domain page is left behind. The driver-facing part of HWPT_ALLOC (flags, device, vendor data) is
 * layered on top of this elsewhere.
 */
public final class HwptPaging extends IommufdObject {
    private final ObjectTable table;
    private Ioas ioas;
    private PagingDomain domain;
    private boolean attached;

    private HwptPaging(ObjectTable table) {
        super(ObjectType.HWPT_PAGING);
        this.table = table;
    }

    /**
     * Creates an HWPT_PAGING over IOAS {@code ioasId} with a domain from {@code domainFactory}.
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

    public Ioas ioas() {
        return ioas;
    }

    public PagingDomain domain() {
        return domain;
    }

    @Override
    protected void destroy() {
        if (attached) {
            ioas.pageTable().removeDomain(domain);
            attached = false;
        }
        if (domain != null) {
            domain.free();
            domain = null;
        }
        if (ioas != null) {
            table.dropUser(ioas);
            ioas = null;
        }
    }
}
