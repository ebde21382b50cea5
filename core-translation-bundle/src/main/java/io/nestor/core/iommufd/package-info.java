/**
 * The iommufd object model with the kernel's semantics ({@code drivers/iommu/iommufd/}): one
 * {@link io.nestor.core.iommufd.IommufdContext} per client session (an open {@code /dev/iommu})
 * with its object table; IOAS objects whose {@link io.nestor.core.iommufd.IoPageTable} keeps areas,
 * reserved and allowed IOVA ranges; and the paging domains an IOAS mirrors its areas into.
 *
 * <p>File map, after the kernel's: {@code main.c} → {@code IommufdContext}, {@code ObjectTable};
 * {@code ioas.c} → {@code IoasCommands}, {@code Ioas}; {@code io_pagetable.c} → {@code IoPageTable},
 * {@code IovaAllocator}; {@code pages.c} → {@code PinnedPages}, {@code DomainFill};
 * {@code hw_pagetable.c} → {@code HwptPaging}.
 *
 * <p>Lock order: context table → one IOAS's page table → page-table builder → page allocator. No
 * two IOAS locks are ever held together (COPY gathers the source's pages, lets go, then maps).
 *
 * <p>Internal to the core bundle; not exported.
 */
package io.nestor.core.iommufd;
