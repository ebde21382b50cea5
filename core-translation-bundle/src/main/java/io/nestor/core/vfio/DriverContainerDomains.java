package io.nestor.core.vfio;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.core.iommufd.IovaRange;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.unit.DriverLease;
import io.nestor.core.unit.IommuUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Container domains made by the unit's driver: {@code allocPagingDomain} for the domain id and
 * flags, {@code pagingFormat} for its table format, and the core's {@link PageTableBuilder} building
 * the table in the platform's structure pages.
 *
 * <p>The builder allocates its own root table, so the descriptor the container passes to the driver
 * (attach, bind) is the driver's with the builder's root in place of the root page the driver
 * allocated; that page stays allocated, unused, until {@code freeDomain} gives it back with the
 * domain id. (The HWPT machinery of the iommufd package adopts driver roots; once it is shared, this
 * class becomes a thin use of it.)
 *
 * <p>Unmapping: table pages the builder unlinks are kept until the unit's IOTLB entries for the
 * domain are invalidated, then freed, so that no walk and no cached translation outlives the unmap
 * ({@link io.nestor.core.iommufd.PagingDomain}'s contract).
 *
 * <p>Dirty tracking: the domains are allocated without DIRTY_TRACKING, so {@link
 * ContainerDomain#tracksDirty()} is false and the container reports every mapped page dirty, as type1
 * does for IOMMU-backed groups; reading and clearing the second stage's dirty bits needs a format
 * operation to clear them, which the page-table SPI does not have yet.
 */
public final class DriverContainerDomains implements ContainerDomainFactory {
    private final DriverRegistry registry;

    public DriverContainerDomains(DriverRegistry registry) {
        this.registry = registry;
    }

    @Override
    public ContainerDomain allocate(IommuUnit unit, int hwptFlags) {
        try (DriverLease lease = unit.enterDriver(registry.driverWaitMillis())) {
            IommuDriver driver = lease.driver();
            DomainDescriptor allocated = driver.allocPagingDomain(unit, hwptFlags);
            try {
                PageTableFormat format = driver.pagingFormat(unit, allocated);
                List<Long> retired = new ArrayList<>();
                PageAllocator pages = registry.structurePages();
                PageTableBuilder builder = new PageTableBuilder(format, pages, unit.features().pageSizes(),
                        retired::add);
                DomainDescriptor used = new DomainDescriptor(false, allocated.tag(), builder.rootAddress(),
                        allocated.addressWidth(), allocated.flags(), allocated.vendorData());
                return new Domain(unit, allocated, used, builder, retired, pages);
            } catch (RuntimeException e) {
                driver.freeDomain(unit, allocated);
                throw e;
            }
        }
    }

    private final class Domain implements ContainerDomain {
        private final IommuUnit unit;
        private final DomainDescriptor allocated;
        private final DomainDescriptor descriptor;
        private final PageTableBuilder builder;
        private final List<Long> retired;
        private final PageAllocator pages;
        private final IovaRange aperture;

        Domain(IommuUnit unit, DomainDescriptor allocated, DomainDescriptor descriptor, PageTableBuilder builder,
                List<Long> retired, PageAllocator pages) {
            this.unit = unit;
            this.allocated = allocated;
            this.descriptor = descriptor;
            this.builder = builder;
            this.retired = retired;
            this.pages = pages;
            int bits = Math.min(descriptor.addressWidth(), builder.format().inputAddressBits());
            this.aperture = new IovaRange(0, bits >= 64 ? -1L : (1L << bits) - 1);
        }

        @Override
        public DomainDescriptor descriptor() {
            return descriptor;
        }

        @Override
        public long pageSizes() {
            return builder.pageSizes();
        }

        @Override
        public IovaRange aperture() {
            return aperture;
        }

        @Override
        public void map(long iova, long pa, long length, int prot) {
            try {
                builder.map(iova, pa, length, prot);
            } finally {
                synchronized (builder) {
                    if (!retired.isEmpty()) {
                        flushRetired(); // a block split or a failed map's undo unlinked tables
                    }
                }
            }
        }

        @Override
        public long unmap(long iova, long length) {
            long bytes = builder.unmap(iova, length);
            flushRetired();
            return bytes;
        }

        @Override
        public void free() {
            builder.destroy();
            flushRetired();
            try (DriverLease lease = unit.enterDriver(registry.driverWaitMillis())) {
                lease.driver().freeDomain(unit, allocated);
            }
        }

        /** Invalidates the domain's translations on the unit, then frees the tables unlinked meanwhile. */
        private void flushRetired() {
            synchronized (builder) {
                unit.invalidate(new InvalidationScope.Domain(unit.index(), descriptor.tag()));
                for (long page : retired) {
                    pages.free(page);
                }
                retired.clear();
            }
        }

        @Override
        public boolean tracksDirty() {
            return false;
        }

        @Override
        public void readAndClearDirty(long iova, long length, long pageSize, LongConsumer dirtyPage) {
            throw new UnsupportedOperationException("domain DID " + descriptor.tag() + " does not track dirty pages");
        }

        @Override
        public String toString() {
            return "ContainerDomain[" + unit.name() + " tag " + descriptor.tag() + ", " + builder + "]";
        }
    }
}
