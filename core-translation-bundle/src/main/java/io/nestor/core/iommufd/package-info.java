/**
 * The iommufd object model with the kernel's semantics ({@code drivers/iommu/iommufd/}): one
 * {@link io.nestor.core.iommufd.IommufdContext} per client session (an open {@code /dev/iommu})
 * with its object table; IOAS objects whose {@link io.nestor.core.iommufd.IoPageTable} keeps areas,
 * reserved and allowed IOVA ranges; and the paging domains an IOAS mirrors its areas into.
 *
 * <p>File map, after the kernel's: {@code main.c} → {@code IommufdContext}, {@code ObjectTable};
 * {@code ioas.c} → {@code IoasCommands}, {@code Ioas}; {@code io_pagetable.c} → {@code IoPageTable},
 * {@code IovaAllocator}; {@code pages.c} → {@code PinnedPages}, {@code DomainFill};
 * {@code hw_pagetable.c} → {@code HwptPaging}, {@code HwptNested}, {@code HwptCommands},
 * {@code HwptInvalidation}, {@code DirtyTracking}; {@code device.c} → {@code DeviceObject},
 * {@code DeviceAttach}, {@code DeviceCommands} (with {@code GET_HW_INFO}); {@code viommu.c} →
 * {@code Viommu}, {@code Vdevice}, {@code ViommuCommands}; {@code eventq.c} / {@code fault.c} →
 * {@code FaultQueueObject} ({@code PageFaultQueue}), {@code VeventqObject} ({@code VeventQueue}),
 * {@code EventQueueCommands}; the iommu core's fault dispatch ({@code io-pgfault.c}) and the SMMUv3
 * driver's vEVENT report → {@code IommufdEventRouter}, {@code Smmuv3Vevent}. Driver-allocated paging domains are
 * {@code DriverPagingDomain}s (the driver's root, the core's tables below it, flush before free);
 * devices are claimed platform-wide through {@code DeviceBindings}, which every context of a
 * platform shares ({@code IommufdPlatform}).
 *
 * <p>Lock order: device → context table → one IOAS's page table → paging domain → page-table
 * builder → page allocator; a driver call (through the unit's lease) may come under any of them
 * but the table's. The fault path: device → FAULT object's routes → its queue; responses and
 * auto-INVALID answers go to the driver with the device lock at most. No two IOAS locks are ever held together (COPY gathers the source's pages, lets
 * go, then maps).
 *
 * <p>Internal to the core bundle; not exported.
 */
package io.nestor.core.iommufd;
