package io.nestor.core.vfio;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.core.iommufd.PagingDomain;
import java.util.function.LongConsumer;

/**
 * The stage-2 paging domain a type1 container keeps on one IOMMU unit (a {@code struct vfio_domain}):
 * the container's IOAS mirrors every mapping into it, the unit's devices in the container are
 * attached to it, and in TYPE1_NESTING mode it is the nest parent that guest first-stage tables are
 * bound over.
 *
 * <p>This is the narrow interface the container needs from the HWPT machinery; the platform's
 * implementation is {@link DriverContainerDomains}.
 */
public interface ContainerDomain extends PagingDomain {

    /** The driver's descriptor of the domain, passed to attach and to the nesting operations. */
    DomainDescriptor descriptor();

    /** Whether the domain records DMA writes in dirty bits of its table. */
    boolean tracksDirty();

    /**
     * Reports each page of {@code pageSize} bytes in {@code [iova, iova + length)} that DMA wrote
     * since the last call, and clears its dirty state. Only when {@link #tracksDirty()}.
     */
    void readAndClearDirty(long iova, long length, long pageSize, LongConsumer dirtyPage);
}
